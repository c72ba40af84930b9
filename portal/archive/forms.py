from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class VerifyForm(FlaskForm):
    code = StringField(_l("Verification code (8 characters, printed under the QR code)"), validators=[
        DataRequired(_l("Enter the code printed on the document.")), Length(max=12)])
    pdf = FileField(_l("Optional: the PDF you received, to check it is the archived one"))
