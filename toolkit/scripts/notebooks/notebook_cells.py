"""Shared by the notebook generators (make_03.py, make_04.py): collect markdown and code cells, write the .ipynb."""
import json
import pathlib

KERNELSPEC = {"kernelspec": {"display_name": "Java (Squeeze)", "language": "java", "name": "java"},
              "language_info": {"name": "java", "codemirror_mode": "java", "file_extension": ".jshell",
                                "mimetype": "text/x-java-source"}}


class Notebook:
    def __init__(self):
        self.cells = []

    def md(self, text):
        self.cells.append(("markdown", text.strip("\n")))

    def code(self, text):
        self.cells.append(("code", text.strip("\n")))

    def write(self, name):
        """Writes notebooks/<name> at the repository root (outputs empty: CI executes it) and returns the path."""
        nb = {"cells": [], "metadata": KERNELSPEC, "nbformat": 4, "nbformat_minor": 5}
        for i, (kind, src) in enumerate(self.cells):
            lines = src.split("\n")
            cell = {"cell_type": kind, "id": f"c{i:02d}", "metadata": {}, "source": [l + "\n" for l in lines[:-1]] + [lines[-1]]}
            if kind == "code":
                cell["execution_count"] = None
                cell["outputs"] = []
            nb["cells"].append(cell)
        out = pathlib.Path(__file__).resolve().parents[3] / "notebooks" / name
        out.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        print("wrote", out)
        return out
