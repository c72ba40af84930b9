from portal.receipts import bp  # noqa: F401
from portal.receipts import models  # noqa: F401
