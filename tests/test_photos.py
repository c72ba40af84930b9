"""core.photos: what an uploaded photo must be, and what is kept of it."""
import io

import pytest
from PIL import Image

from portal.core.errors import ValidationFailed
from portal.core.photos import checked_photo

EN = {"Accept-Language": "en"}


def _image(size, fmt="JPEG", mode="RGB", exif_orientation=None):
    buffer = io.BytesIO()
    image = Image.new(mode, size, "red" if mode == "RGB" else None)
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        exif[0x8825] = {2: (36.0, 40.0, 0.0)}  # a GPS position that must not survive
        image.save(buffer, format=fmt, exif=exif)
    else:
        image.save(buffer, format=fmt)
    return buffer.getvalue()


def test_a_phone_photo_is_kept_upright_smaller_and_without_metadata(app):
    data = _image((4032, 3024), exif_orientation=6)  # taken in portrait: rotate 90°
    with app.test_request_context(headers=EN):
        photo = checked_photo(data, name="IMG_0001.jpg")
    assert (photo.width, photo.height) == (1500, 2000) and photo.mime == "image/jpeg"
    kept = Image.open(io.BytesIO(photo.data))
    assert kept.format == "JPEG" and not kept.getexif()


def test_a_transparent_png_is_flattened_on_white(app):
    with app.test_request_context(headers=EN):
        photo = checked_photo(_image((300, 200), fmt="PNG", mode="RGBA"))
    assert Image.open(io.BytesIO(photo.data)).getpixel((10, 10)) == (255, 255, 255)


@pytest.mark.parametrize("data,status,message", [
    (b"", 422, "IMG.jpg is empty."),
    (b"%PDF-1.7 not a photo", 400, "IMG.jpg is not an image the portal can read."),
    (b"\xff" * (5 * 1024 * 1024 + 1), 413, "IMG.jpg is larger than 5 MB."),
    (None, 422, "IMG.jpg is too small to show anything (40 × 40 pixels)."),
    ("gif", 422, "IMG.jpg must be a JPEG, PNG or WebP photo."),
    ("bomb", 422, "IMG.jpg has too many pixels"),
])
def test_bad_photos_are_refused_with_the_file_named(app, data, status, message):
    if data is None:
        data = _image((40, 40))
    elif data == "gif":
        data = _image((200, 200), fmt="GIF", mode="P")
    elif data == "bomb":
        data = _image((9000, 9000), fmt="PNG", mode="1")
    with app.test_request_context(headers=EN), pytest.raises(ValidationFailed) as caught:
        checked_photo(data, field="photos", name="IMG.jpg")
    assert caught.value.status == status
    assert caught.value.errors["photos"][0].startswith(message)
