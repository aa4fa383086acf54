"""Label Studio's labeling config (XML) to an ontology, and back.

Reads the one object tag labels are put on (``Image`` or ``Text``) and the controls that label it:
``RectangleLabels`` (boxes), ``PolygonLabels`` (polygons), ``Labels`` (text spans) and ``Choices``
(classifications). Layout tags are read past; any other tag would carry labels this platform cannot
hold, so the config is refused with every such tag named (``UnsupportedTags``). Parsed with
defusedxml: an entity, an external reference or a DTD is refused, never expanded. Must never guess
a label's kind from its name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from xml.etree.ElementTree import Element, ParseError  # nosec B405 — types only; parsing is defusedxml's
from xml.sax.saxutils import escape  # nosec B406 — escaping output, not parsing

import defusedxml.ElementTree as SafeXml
import msgspec
from defusedxml import DefusedXmlException

from enclave.exchange.errors import ExchangeError, UnsupportedTags
from enclave.ontologies.schemas import Classification, OntologyDefinition, OntologyObject, Subject

WHERE = "label_config.xml"

#: Tags that only arrange the page: nothing to import, nothing lost.
LAYOUT = frozenset({"View", "Header", "Style"})
#: The object tags a subject can be, and the kind of item each shows.
SUBJECTS: dict[str, Literal["image", "text"]] = {"Image": "image", "Text": "text"}
#: The label controls, the kind of shape each draws, and the object tag it must point at.
SHAPES: dict[str, tuple[Literal["bbox", "polygon", "span"], str]] = {
    "RectangleLabels": ("bbox", "Image"),
    "PolygonLabels": ("polygon", "Image"),
    "Labels": ("span", "Text"),
}
#: A Label Studio result's ``type`` for each kind of shape, and its value key (the same word).
RESULT_TYPES: dict[str, str] = {"bbox": "rectanglelabels", "polygon": "polygonlabels", "span": "labels"}
#: The control tag written back for each kind of shape.
CONTROL_TAGS = {kind: tag for tag, (kind, _) in SHAPES.items()}


@dataclass(frozen=True)
class LabelingConfig:
    """A config read: the ontology, and the names results refer to."""

    definition: OntologyDefinition
    kind: Literal["image", "text"]

    @property
    def subject(self) -> Subject:
        # ``parse_config`` always sets it; an ontology made here has none and gets the default names.
        return self.definition.subject or Subject(name=self.kind, value=self.kind)

    def control(self, name: str) -> str | None:
        """The kind a result ``from_name`` stands for: a shape kind, ``"choices"``, or None."""
        for obj in self.definition.objects:
            if obj.control == name:
                return obj.kind
        if any(c.name == name for c in self.definition.classifications):
            return "choices"
        return None

    def labels_of(self, control: str) -> set[str]:
        return {obj.name for obj in self.definition.objects if obj.control == control}


def parse_config(xml: str | bytes) -> LabelingConfig:
    """The ontology a labeling config describes; ``ExchangeError`` names what cannot be read."""
    try:
        # forbid_dtd: a labeling config never needs a DOCTYPE, and defusedxml allows one by default.
        root = SafeXml.fromstring(xml, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ExchangeError(
            f"refused: the XML uses a forbidden construct ({type(exc).__name__})", WHERE
        ) from exc
    except ParseError as exc:
        raise ExchangeError(f"not well-formed XML ({exc})", WHERE) from exc
    unsupported = sorted({el.tag for el in root.iter() if not _known(el)})
    if unsupported:
        raise UnsupportedTags(unsupported)
    subjects = [el for el in root.iter() if el.tag in SUBJECTS]
    if len(subjects) != 1:
        raise ExchangeError(f"expected one Image or Text tag to label, found {len(subjects)}", WHERE)
    subject_el = subjects[0]
    subject = Subject(name=_attr(subject_el, "name"), value=_attr(subject_el, "value").removeprefix("$"))
    objects: list[OntologyObject] = []
    classifications: list[Classification] = []
    for el in root.iter():
        if el.tag in SHAPES:
            kind, target = SHAPES[el.tag]
            _check_target(el, subject, subject_el.tag, target)
            name = _attr(el, "name")
            objects.extend(OntologyObject(name=v, kind=kind, control=name) for v in _values(el, "Label"))
        elif el.tag == "Choices":
            _check_target(el, subject, subject_el.tag, subject_el.tag)
            multiple = el.get("choice", "single") == "multiple"
            classifications.append(Classification(_attr(el, "name"), _values(el, "Choice"), multiple))
    seen: dict[str, str] = {}
    for obj in objects:
        if obj.name in seen:
            raise ExchangeError(
                f"the label {obj.name!r} is defined by two controls ({seen[obj.name]}, {obj.control})", WHERE
            )
        seen[obj.name] = obj.control or ""
    try:
        # Built as plain data and converted, so every name is held to the ontology's own limits.
        plain = msgspec.to_builtins(
            {"objects": objects, "classifications": classifications, "subject": subject}
        )
        definition = msgspec.convert(plain, OntologyDefinition)
    except msgspec.ValidationError as exc:
        raise ExchangeError(f"the config does not make a valid ontology ({exc})", WHERE) from exc
    return LabelingConfig(definition, SUBJECTS[subject_el.tag])


def write_config(definition: OntologyDefinition, kind: Literal["image", "text"]) -> str:
    """A labeling config for an ontology: the one it was imported from, as far as it mattered."""
    subject = definition.subject or Subject(name=kind, value=kind)
    tag = "Image" if kind == "image" else "Text"
    lines = ["<View>", f'  <{tag} name="{_esc(subject.name)}" value="${_esc(subject.value)}"/>']
    for control, kind_of, labels in _controls(definition.objects):
        tag = CONTROL_TAGS[kind_of]
        inner = "".join(f'<Label value="{_esc(label)}"/>' for label in labels)
        lines.append(f'  <{tag} name="{_esc(control)}" toName="{_esc(subject.name)}">{inner}</{tag}>')
    for question in definition.classifications:
        choice = ' choice="multiple"' if question.multiple else ""
        inner = "".join(f'<Choice value="{_esc(o)}"/>' for o in question.options)
        lines.append(
            f'  <Choices name="{_esc(question.name)}" toName="{_esc(subject.name)}"{choice}>{inner}</Choices>'
        )
    return "\n".join([*lines, "</View>\n"])


def control_names(objects: Iterable[OntologyObject]) -> dict[str, str]:
    """Each label's control name: the one it was imported with, or one made from its kind."""
    return {obj.name: obj.control or f"{obj.kind}_labels" for obj in objects}


ShapeKind = Literal["bbox", "polygon", "span"]


def _controls(objects: list[OntologyObject]) -> list[tuple[str, ShapeKind, list[str]]]:
    names = control_names(objects)
    grouped: dict[str, tuple[ShapeKind, list[str]]] = {}
    for obj in objects:
        grouped.setdefault(names[obj.name], (obj.kind, []))[1].append(obj.name)
    return [(control, kind, labels) for control, (kind, labels) in grouped.items()]


def _known(el: Element) -> bool:
    return (
        el.tag in LAYOUT or el.tag in SUBJECTS or el.tag in SHAPES or el.tag in {"Choices", "Label", "Choice"}
    )


def _attr(el: Element, name: str) -> str:
    value = el.get(name)
    if not value:
        raise ExchangeError(f"<{el.tag}> has no {name} attribute", WHERE)
    return value


def _values(el: Element, child: str) -> list[str]:
    values = [_attr(c, "value") for c in el if c.tag == child]
    if not values:
        raise ExchangeError(f"<{el.tag} name={el.get('name')!r}> has no <{child}>", WHERE)
    return values


def _check_target(el: Element, subject: Subject, subject_tag: str, expected: str) -> None:
    if el.get("toName") != subject.name or subject_tag != expected:
        raise ExchangeError(
            f"<{el.tag} name={el.get('name')!r}> must label the {expected} tag {subject.name!r}", WHERE
        )


def _esc(value: str) -> str:
    return escape(value, {'"': "&quot;"})
