from pathlib import Path

from services.inventory.wiring import build

from libs.runtime import main
from services.inventory.settings import Settings

main("inventory", Settings, build, Path(__file__).parent / "migrations")
