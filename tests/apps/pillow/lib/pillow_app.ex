defmodule PillowApp do
  @moduledoc "Calls as Pillow's documentation writes them (pillow.readthedocs.io)."

  alias PIL.Image.Image

  def cases do
    [
      # im = Image.new("RGB", (64, 32), "red"); im.size; im.mode
      # (`new` is the constructor's name in every generated module: Image.new is py_new)
      {"new", fn -> PIL.Image.py_new!("RGB", {64, 32}, "red") |> Image.size!() end},
      {"mode", fn -> PIL.Image.py_new!("RGB", {64, 32}) |> Image.mode!() end},
      # im.getpixel((0, 0))
      {"getpixel", fn -> PIL.Image.py_new!("RGB", {4, 4}, "red") |> Image.getpixel!({0, 0}) end},
      # im.resize((32, 16)).size; im.convert("L").mode
      {"resize",
       fn -> PIL.Image.py_new!("RGB", {64, 32}) |> Image.resize!({32, 16}) |> Image.size!() end},
      {"convert",
       fn ->
         PIL.Image.py_new!("RGB", {8, 8}, "blue")
         |> Image.convert!("L")
         |> Image.getpixel!({0, 0})
       end},
      # im.rotate(90, expand=True).size
      {"rotate",
       fn ->
         PIL.Image.py_new!("RGB", {64, 32}) |> Image.rotate!(90, expand: true) |> Image.size!()
       end},
      # im.crop((0, 0, 10, 5)).size
      {"crop",
       fn -> PIL.Image.py_new!("L", {64, 32}) |> Image.crop!({0, 0, 10, 5}) |> Image.size!() end},
      # ImageOps.grayscale(im).mode
      {"grayscale",
       fn -> PIL.Image.py_new!("RGB", {4, 4}) |> PIL.ImageOps.grayscale!() |> Image.mode!() end},
      # ImageColor.getrgb("#ff0000")
      {"getrgb", fn -> PIL.ImageColor.getrgb!("#ff0000") end},

      # im.transpose(Image.Transpose.FLIP_LEFT_RIGHT).size; im.getbbox(); ImageOps.invert
      {"transpose",
       fn ->
         PIL.Image.py_new!("RGB", {6, 3})
         |> Image.transpose!(PIL.Image.Transpose.py_FLIP_LEFT_RIGHT!())
         |> Image.size!()
       end},
      {"getbbox", fn -> PIL.Image.py_new!("L", {4, 4}, 255) |> Image.getbbox!() end},
      {"invert",
       fn ->
         PIL.Image.py_new!("RGB", {2, 2}, "red")
         |> PIL.ImageOps.invert!()
         |> Image.getpixel!({0, 0})
       end},
      # draw = ImageDraw.Draw(im); draw.rectangle((0, 0, 1, 1), fill="blue")
      {"draw_rectangle",
       fn ->
         im = PIL.Image.py_new!("RGB", {4, 4}, "red")
         draw = PIL.ImageDraw.py_Draw!(im)
         PIL.ImageDraw.ImageDraw.rectangle!(draw, {0, 0, 1, 1}, fill: "blue")
         Image.getpixel!(im, {0, 0})
       end},

      # im.filter(ImageFilter.BLUR): the filter class itself is the argument
      {"filter_class",
       fn ->
         PIL.Image.py_new!("L", {4, 4}, 100)
         |> Image.filter!(PIL.ImageFilter.BLUR.class!())
         |> Image.getpixel!({1, 1})
       end}
    ]
  end
end
