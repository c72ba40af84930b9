from portal.dispatch import bp  # noqa: F401
from portal.dispatch import models  # noqa: F401
