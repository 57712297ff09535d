"""Prints what a real PDF reader (PDFium, through pypdfium2) finds in a PDF, as JSON.

    pdf_text.py FILE.pdf

Output: {"pages": [{"width": w, "height": h, "text": "...", "chars": [[c, left, bottom, right, top], ...]}]}
with each character and its box in points (origin bottom left), so tests can check both the
text and where it sits on the sheet.
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
        chars = [
            [text.get_text_range(index=i, count=1)] + list(text.get_charbox(i))
            for i in range(count)
        ]
        pages.append(
            {
                "width": width,
                "height": height,
                "text": text.get_text_range(),
                "chars": chars,
            }
        )
    json.dump({"pages": pages}, sys.stdout)


if __name__ == "__main__":
    main()
