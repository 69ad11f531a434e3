from libs.migrations import run_env
from services.product.models import Base

run_env(Base.metadata)
