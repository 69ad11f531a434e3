from libs.migrations import run_env
from services.audit.models import Base

run_env(Base.metadata)
