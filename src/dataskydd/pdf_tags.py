"""Tagged PDF for pages drawn straight onto ReportLab's canvas (issue 15: "tagged PDF with the
document language set, PDF/UA as far as the PDF library allows").

ReportLab has no API for logical structure, but `pdf_layout` draws every heading, paragraph
and table cell itself, so it marks them itself: each is wrapped in the page's content stream
as `/P <</MCID n>> BDC … EMC` (rules, fills and footers as `/Artifact`), and `Tree` records
which structure element owns each marked-content id (MCID). `write` then adds the structure
tree to the document: /StructTreeRoot with the /Document element and its kids in reading
order, the /ParentTree mapping each page's /StructParents to the owners of its MCIDs,
/MarkInfo, /DisplayDocTitle and the pages' /Tabs /S. A link annotation is the content of its
/Link element (an /OBJR kid), found from the annotation by its /StructParent.

Memory: the tree holds one small entry per element drawn, bounded like the pages themselves
(the registerutdrag shows at most its `rows_per_table` newest rows a table), and the PDF
objects are formatted from it only while the document is written.
"""

from __future__ import annotations

from typing import Any

from reportlab.pdfbase.pdfdoc import PDFName, PDFObject, PDFPage
from reportlab.pdfgen.canvas import Canvas

ARTIFACT = -1  # content that is decoration or pagination, outside the structure
PDF_VERSION = (1, 7)  # for the Canvas: /Tabs is PDF 1.5, ReportLab writes 1.3 by default

# The page dictionary's entries ReportLab writes, and the two tagged PDF needs beside them.
_PAGE_ENTRIES = [*PDFPage.__NoDefault__, "StructParents", "Tabs"]


class Tree:
    """The logical structure: element 0 is the Document; each element has its standard
    structure type, its parent, and its kids in reading order, a kid being an element's
    index or a marked-content reference (page index, MCID)."""

    def __init__(self) -> None:
        self.tags: list[str] = ["Document"]
        self.parents: list[int] = [-1]
        self.kids: list[list[int | tuple[int, int]]] = [[]]
        self.links: list[tuple[int, int]] = []  # per link annotation: its element, its page

    def add(self, tag: str, parent: int = 0) -> int:
        index = len(self.tags)
        self.tags.append(tag)
        self.parents.append(parent)
        self.kids.append([])
        self.kids[parent].append(index)
        return index

    def link(self, element: int, page: int) -> str:
        """The name to give the canvas's link annotation on `page` owned by `element`."""
        self.links.append((element, page))
        return f"tagged-link-{len(self.links)}"

    def mark(self, element: int, page: int, owners: list[int]) -> str:
        """The operator opening the element's next marked content on the page; `owners`
        is the page's list of the element owning each MCID."""
        if element == ARTIFACT:
            return "/Artifact BMC"
        mcid = len(owners)
        owners.append(element)
        self.kids[element].append((page, mcid))
        return f"/{self.tags[element]} <</MCID {mcid}>> BDC"


class _Element(PDFObject):
    """A structure element, formatted from the tree when the document is written."""

    def __init__(self, structure: _Structure, index: int) -> None:
        self.structure = structure
        self.index = index

    def format(self, document: Any) -> bytes:
        return self.structure.element(document, self.index)


class _Root(PDFObject):
    def __init__(self, structure: _Structure) -> None:
        self.structure = structure

    def format(self, document: Any) -> bytes:
        return self.structure.root(document)


class _ParentTree(PDFObject):
    def __init__(self, structure: _Structure) -> None:
        self.structure = structure

    def format(self, document: Any) -> bytes:
        return self.structure.parent_tree(document)


class _Structure:
    """The tree as PDF objects: references are taken while formatting, so an element's
    object exists only as `_Element(index)` until then."""

    def __init__(
        self, tree: Tree, pages: list[PDFPage], owners: list[list[int]], annotations: list[Any]
    ) -> None:
        self.tree = tree
        self.pages = pages
        self.owners = owners
        self.annotations = annotations  # in the order of tree.links
        self.objects: dict[int, list[int]] = {}  # element → its annotations (tree.links)
        for number, (element, _page) in enumerate(tree.links):
            self.objects.setdefault(element, []).append(number)
        self.elements = [_Element(self, index) for index in range(len(tree.tags))]
        self.root_object = _Root(self)
        self.parent_tree_object = _ParentTree(self)

    def _ref(self, document: Any, obj: PDFObject) -> str:
        reference = document.Reference(obj)
        return str(reference.format(document).decode("ascii"))

    def element(self, document: Any, index: int) -> bytes:
        # As short as the format allows (no optional /Type, a single kid without an array):
        # a table cell is one of these, and ReportLab writes each as an indirect object.
        tree = self.tree
        parent = tree.parents[index]
        up = self.root_object if parent < 0 else self.elements[parent]
        kids = tree.kids[index]
        own_page = next((kid[0] for kid in kids if isinstance(kid, tuple)), None)
        parts = [f"<</S/{tree.tags[index]}/P {self._ref(document, up)}"]
        if own_page is not None:
            parts.append(f"/Pg {self._ref(document, self.pages[own_page])}")
        if tree.tags[index] == "TH":
            parts.append("/A<</O/Table/Scope/Column>>")
        shown = []
        for kid in kids:
            if isinstance(kid, int):
                shown.append(self._ref(document, self.elements[kid]))
            elif kid[0] == own_page:
                shown.append(str(kid[1]))
            else:
                page = self._ref(document, self.pages[kid[0]])
                shown.append(f"<</Type/MCR/Pg {page}/MCID {kid[1]}>>")
        for number in self.objects.get(index, ()):
            annotation = self._ref(document, self.annotations[number])
            page = self._ref(document, self.pages[self.tree.links[number][1]])
            shown.append(f"<</Type/OBJR/Obj {annotation}/Pg {page}>>")
        if len(shown) == 1:
            parts.append(f"/K {shown[0]}>>")
        else:
            parts.append(f"/K[{' '.join(shown)}]>>")
        return "".join(parts).encode("ascii")

    def root(self, document: Any) -> bytes:
        document_element = self._ref(document, self.elements[0])
        parent_tree = self._ref(document, self.parent_tree_object)
        return (
            f"<< /Type /StructTreeRoot /K [{document_element}] /ParentTree {parent_tree} "
            f"/ParentTreeNextKey {len(self.pages) + len(self.annotations)} >>"
        ).encode("ascii")

    def parent_tree(self, document: Any) -> bytes:
        entries = []
        for number, owners in enumerate(self.owners):
            refs = " ".join(self._ref(document, self.elements[o]) for o in owners)
            entries.append(f"{number} [{refs}]")
        for number, (element, _page) in enumerate(self.tree.links, start=len(self.owners)):
            entries.append(f"{number} {self._ref(document, self.elements[element])}")
        return f"<< /Nums [{' '.join(entries)}] >>".encode("ascii")


def write(canvas: Canvas, tree: Tree, owners: list[list[int]]) -> None:
    """The structure tree into the canvas's document, once every page is shown (before
    `canvas.save()`); `owners` holds, per page, the element owning each of its MCIDs."""
    # The canvas's document and its pages have no public name; the catalog's entries for
    # tagged PDF (StructTreeRoot, MarkInfo) are ones ReportLab's PDFCatalog already knows.
    document = canvas._doc  # type: ignore[attr-defined]
    pages: list[PDFPage] = list(document.Pages.pages)
    for number, page in enumerate(pages):
        page.__NoDefault__ = _PAGE_ENTRIES
        page.StructParents = number  # type: ignore[attr-defined]
        page.Tabs = PDFName("S")  # type: ignore[attr-defined]
    # The link annotations, found by the names `Tree.link` gave them, get their /StructParent
    # (ReportLab's annotations check their entries against a list, which lacks it).
    annotations = []
    for number in range(len(tree.links)):
        annotation = document.idToObject[document.annotationName(f"tagged-link-{number + 1}")]
        annotation.permitted = (*annotation.permitted, "StructParent")
        annotation.otherkw["StructParent"] = len(pages) + number
        annotations.append(annotation)
    structure = _Structure(tree, pages, owners, annotations)
    catalog = document.Catalog
    catalog.StructTreeRoot = structure.root_object
    catalog.MarkInfo = _Literal(b"<< /Marked true >>")
    canvas.setViewerPreference("DisplayDocTitle", "true")


class _Literal(PDFObject):
    def __init__(self, text: bytes) -> None:
        self.text = text

    def format(self, document: Any) -> bytes:
        return self.text
