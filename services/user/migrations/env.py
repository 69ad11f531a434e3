from libs.migrations import run_env
from services.user.models import Base

run_env(Base.metadata)
