"""What a payload may hold: labels the project's ontology defines, each drawn as the shape it
defines, and answers among a question's options. Pure; a submission and a draft are checked alike."""

from __future__ import annotations

from enclave.domain.errors import InvalidInput
from enclave.ontologies.schemas import OntologyDefinition
from enclave.tasks.schemas import AnnotationPayload


def check_payload(payload: AnnotationPayload, ontology: OntologyDefinition) -> None:
    """Every label must be one the ontology defines, drawn with the kind of shape it defines."""
    kinds = {obj.name: obj.kind for obj in ontology.objects}
    for obj in payload.objects:
        kind = type(obj).__struct_config__.tag
        if kinds.get(obj.label) != kind:
            raise InvalidInput(f"'{obj.label}' is not a {kind} label of this project's ontology.")
        if kind == "span" and obj.end <= obj.start:  # type: ignore[union-attr]
            raise InvalidInput("A span must end after it starts.")
    questions = {c.name: c for c in ontology.classifications}
    for name, answers in payload.classifications.items():
        question = questions.get(name)
        if question is None:
            raise InvalidInput(f"'{name}' is not a classification of this project's ontology.")
        if not set(answers) <= set(question.options):
            raise InvalidInput(f"An answer to '{name}' is not one of its options.")
        if not question.multiple and len(answers) > 1:
            raise InvalidInput(f"'{name}' takes one answer.")
