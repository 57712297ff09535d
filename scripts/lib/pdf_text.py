"""Prints what a real PDF reader (PDFium, through pypdfium2) finds in a PDF, as JSON.

    pdf_text.py FILE.pdf

Output: {"pages": [{"width": w, "height": h, "text": "...", "boxes": [[left, bottom, right, top], ...]}]}
with one box per character, in points, so tests can check both the text and where it sits.
"""

import json
import sys

import pypdfium2 as pdfium


def main():
    pdf = pdfium.PdfDocument(sys.argv[1])
    pages = []
    for page in pdf:
        width, height = page.get_size()
        text = page.get_textpage()
        count = text.count_chars()
        boxes = [list(text.get_charbox(i)) for i in range(count)]
        pages.append(
            {
                "width": width,
                "height": height,
                "text": text.get_text_range(),
                "boxes": boxes,
            }
        )
    json.dump({"pages": pages}, sys.stdout)


if __name__ == "__main__":
    main()
