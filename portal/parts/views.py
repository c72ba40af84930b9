from portal.parts import bp  # noqa: F401
from portal.parts import models  # noqa: F401
