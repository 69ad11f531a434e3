from libs.migrations import run_env
from services.shipping.models import Base

run_env(Base.metadata)
