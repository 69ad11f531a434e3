"""The Robot Framework suites under robot/ against this session's fleet, so `make test` keeps them true.

They are the contract read as a new user would walk it; the pytest modules beside this one pin the same
behaviour in more detail. A failure names each failed Robot test with its message; robot's log.html in
the reported output directory has every request and answer."""

import subprocess
import sys
from pathlib import Path

from robot.api import ExecutionResult

from libs.stack import Fleet

ROBOT_DIR = Path(__file__).resolve().parents[2] / "robot"
TIMEOUT = 120  # seconds; the suites take a few when the fleet's consumers are up


def test_the_robot_suites_pass_against_the_fleet(fleet: Fleet, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--variable", f"BASE_URL:{fleet.url}/api", "--outputdir", str(tmp_path),
         "--console", "dotted", str(ROBOT_DIR)],
        capture_output=True, text=True, timeout=TIMEOUT,
    )

    assert run.returncode == 0, _failures(tmp_path / "output.xml", run)


def _failures(output: Path, run: subprocess.CompletedProcess) -> str:
    if not output.exists():  # robot could not start: its own words say why
        return f"robot exited {run.returncode}:\n{run.stdout}\n{run.stderr}"
    failed = [f"{test.full_name}: {test.message}" for test in ExecutionResult(str(output)).suite.all_tests
              if test.failed]
    return (f"{len(failed)} Robot test(s) failed (log: {output.parent / 'log.html'}):\n" + "\n".join(failed)
            + (f"\n{run.stderr}" if run.stderr else ""))
