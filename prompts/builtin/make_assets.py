"""Draw the synthetic images of the ``annotation-core`` pack and print their metadata and boxes.

Run ``python -m prompts.builtin.make_assets [OUT_DIR]``. The scenes are simple shapes so a candidate can judge
the class and draw boxes; the boxes drawn here are the pack's ground truth, printed as YAML to paste.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 320, 240
ASSET_DIR = Path(__file__).parent / "packs" / "annotation-core" / "assets"


@dataclass(frozen=True)
class DrawnBox:
    """A labelled box in pixels, exactly as drawn."""

    label: str
    x: int
    y: int
    w: int
    h: int


Scene = Callable[[ImageDraw.ImageDraw], list[DrawnBox]]


def _car(draw: ImageDraw.ImageDraw, x: int, y: int, colour: str) -> DrawnBox:
    draw.rectangle([x, y + 12, x + 70, y + 34], fill=colour, outline="black")
    draw.polygon([(x + 14, y + 12), (x + 24, y), (x + 50, y), (x + 60, y + 12)], fill=colour, outline="black")
    draw.rectangle([x + 27, y + 3, x + 47, y + 11], fill="#cfe8ff")
    for wheel in (x + 8, x + 48):
        draw.ellipse([wheel, y + 28, wheel + 14, y + 42], fill="#222222")
    return DrawnBox("car", x, y, 71, 43)


def _person(draw: ImageDraw.ImageDraw, x: int, y: int, colour: str) -> DrawnBox:
    draw.ellipse([x + 4, y, x + 16, y + 12], fill="#f1c27d", outline="black")
    draw.rectangle([x + 2, y + 13, x + 18, y + 38], fill=colour)
    draw.rectangle([x + 3, y + 39, x + 8, y + 56], fill="#333333")
    draw.rectangle([x + 12, y + 39, x + 17, y + 56], fill="#333333")
    return DrawnBox("person", x, y, 21, 57)


def _street(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle([0, 0, WIDTH, 120], fill="#bfe3f5")
    draw.rectangle([0, 120, WIDTH, HEIGHT], fill="#7d7d7d")
    for x in range(10, WIDTH, 60):
        draw.rectangle([x, 178, x + 30, 182], fill="#f5f5f5")


def _text_lines(draw: ImageDraw.ImageDraw, top: int, count: int, left: int = 40, right: int = 280) -> None:
    for i in range(count):
        width = right - left - (i * 37) % 70
        draw.rectangle([left, top + i * 14, left + width, top + i * 14 + 5], fill="#9aa0a6")


def scene_street_two_cars(draw: ImageDraw.ImageDraw) -> list[DrawnBox]:
    _street(draw)
    return [_car(draw, 30, 140, "#d93025"), _car(draw, 200, 150, "#1a73e8"), _person(draw, 140, 110, "#188038")]


def scene_street_crossing(draw: ImageDraw.ImageDraw) -> list[DrawnBox]:
    _street(draw)
    return [_person(draw, 60, 120, "#a142f4"), _person(draw, 100, 125, "#f29900"), _car(draw, 220, 160, "#5f6368")]


def scene_document_signed(draw: ImageDraw.ImageDraw) -> list[DrawnBox]:
    draw.rectangle([0, 0, WIDTH, HEIGHT], fill="#e8e4dc")
    draw.rectangle([30, 10, 290, 230], fill="white", outline="#bbbbbb")
    draw.ellipse([44, 20, 84, 60], fill="#1a73e8")
    draw.rectangle([56, 32, 72, 48], fill="white")
    _text_lines(draw, 75, 8)
    draw.line([(180, 200), (195, 185), (210, 205), (225, 188), (245, 200), (262, 192)], fill="#1f1f7a", width=3)
    return [DrawnBox("logo", 44, 20, 41, 41), DrawnBox("signature", 178, 183, 87, 25)]


def scene_document_unsigned(draw: ImageDraw.ImageDraw) -> list[DrawnBox]:
    draw.rectangle([0, 0, WIDTH, HEIGHT], fill="#dfe6e9")
    draw.rectangle([30, 10, 290, 230], fill="white", outline="#bbbbbb")
    _text_lines(draw, 30, 12)
    draw.line([(170, 210), (270, 210)], fill="#555555", width=1)  # an empty signature line is not a signature
    return []


def scene_product_bottle(draw: ImageDraw.ImageDraw) -> list[DrawnBox]:
    draw.rectangle([0, 0, WIDTH, HEIGHT], fill="#fafafa")
    draw.rectangle([0, 200, WIDTH, HEIGHT], fill="#e0e0e0")
    draw.rectangle([143, 40, 177, 70], fill="#0b8043")
    draw.rounded_rectangle([125, 70, 195, 205], radius=12, fill="#34a853", outline="#0b8043")
    draw.ellipse([140, 110, 180, 150], fill="white")
    draw.polygon([(160, 117), (172, 140), (148, 140)], fill="#ea4335")
    return [DrawnBox("product", 125, 40, 71, 166), DrawnBox("logo", 140, 110, 41, 41)]


SCENES: dict[str, Scene] = {
    "street-two-cars": scene_street_two_cars,
    "street-crossing": scene_street_crossing,
    "document-signed": scene_document_signed,
    "document-unsigned": scene_document_unsigned,
    "product-bottle": scene_product_bottle,
}


def render(name: str) -> tuple[Image.Image, list[DrawnBox]]:
    """Draw one scene."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    boxes = SCENES[name](ImageDraw.Draw(image))
    return image, boxes


def write_all(out_dir: Path) -> dict[str, list[DrawnBox]]:
    """Write every scene as ``<name>.png`` into ``out_dir``; returns the boxes per scene."""
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = {}
    for name in SCENES:
        image, boxes = render(name)
        image.save(out_dir / f"{name}.png", optimize=True)
        drawn[name] = boxes
    return drawn


def main(argv: list[str]) -> int:
    """Write the assets and print each one's metadata and boxes as YAML fragments."""
    out_dir = Path(argv[0]) if argv else ASSET_DIR
    for name, boxes in write_all(out_dir).items():
        data = (out_dir / f"{name}.png").read_bytes()
        print(f"# {name}")
        print(f"  uri: assets/{name}.png")
        print(f"  size_bytes: {len(data)}")
        print(f"  sha256: {hashlib.sha256(data).hexdigest()}")
        print(f"  width: {WIDTH}\n  height: {HEIGHT}")
        for box in boxes:
            print(f"  - {{label: {box.label}, x: {box.x}, y: {box.y}, w: {box.w}, h: {box.h}}}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
