from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from portal.core.forms import choices


class KioskPairForm(FlaskForm):
    name = StringField(_l("Kiosk name"), validators=[
        DataRequired(_l("Give the kiosk a name, e.g. 前台平板1.")),
        Length(max=40, message=_l("At most 40 characters."))])


class KioskSendForm(FlaskForm):
    kiosk_id = SelectField(_l("Kiosk"), coerce=lambda v: int(v) if str(v).isdigit() else None,
                           validators=[InputRequired(_l("Choose a paired kiosk."))], validate_choice=False)

    def offer(self, kiosks) -> "KioskSendForm":
        self.kiosk_id.choices = choices([(k.id, k.name) for k in kiosks])
        return self
