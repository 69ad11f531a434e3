from pathlib import Path

from libs.runtime import main
from services.order.settings import Settings
from services.order.wiring import build

main("order", Settings, build, Path(__file__).parent / "migrations")
