from PIL import Image, ImageColor, ImageDraw, ImageFilter, ImageOps


def _draw_rectangle():
    im = Image.new("RGB", (4, 4), "red")
    ImageDraw.Draw(im).rectangle((0, 0, 1, 1), fill="blue")
    return im.getpixel((0, 0))


CASES = {
    "new": lambda: Image.new("RGB", (64, 32), "red").size,
    "mode": lambda: Image.new("RGB", (64, 32)).mode,
    "getpixel": lambda: Image.new("RGB", (4, 4), "red").getpixel((0, 0)),
    "resize": lambda: Image.new("RGB", (64, 32)).resize((32, 16)).size,
    "convert": lambda: Image.new("RGB", (8, 8), "blue").convert("L").getpixel((0, 0)),
    "rotate": lambda: Image.new("RGB", (64, 32)).rotate(90, expand=True).size,
    "crop": lambda: Image.new("L", (64, 32)).crop((0, 0, 10, 5)).size,
    "grayscale": lambda: ImageOps.grayscale(Image.new("RGB", (4, 4))).mode,
    "getrgb": lambda: ImageColor.getrgb("#ff0000"),
    "transpose": lambda: Image.new("RGB", (6, 3)).transpose(Image.Transpose.FLIP_LEFT_RIGHT).size,
    "getbbox": lambda: Image.new("L", (4, 4), 255).getbbox(),
    "invert": lambda: ImageOps.invert(Image.new("RGB", (2, 2), "red")).getpixel((0, 0)),
    "draw_rectangle": lambda: _draw_rectangle(),
    "filter_class": lambda: Image.new("L", (4, 4), 100).filter(ImageFilter.BLUR).getpixel((1, 1)),
}
