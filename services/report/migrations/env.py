from libs.migrations import run_env
from services.report.models import Base

run_env(Base.metadata)
