from __future__ import annotations

import pytest

from enclave.exchange.errors import ExchangeError, UnsupportedTags
from enclave.exchange.label_studio_config import parse_config, write_config
from enclave.ontologies.schemas import Subject
from tests.support.label_studio_exports import FIXTURES


class TestParseConfig:
    def test_boxes_and_choices(self) -> None:
        config = parse_config((FIXTURES / "image_bbox_1" / "label_config.xml").read_bytes())
        assert config.kind == "image"
        assert config.subject == Subject("image", "image")
        assert [(o.name, o.kind, o.control) for o in config.definition.objects] == [
            ("car", "bbox", "label"),
            ("person", "bbox", "label"),
            ("traffic light", "bbox", "label"),
        ]
        [quality] = config.definition.classifications
        assert (quality.name, quality.options, quality.multiple) == ("quality", ["good", "blurry"], False)
        assert config.control("label") == "bbox"
        assert config.control("quality") == "choices"
        assert config.control("nope") is None

    def test_text_spans(self) -> None:
        config = parse_config((FIXTURES / "text_ner_1" / "label_config.xml").read_bytes())
        assert config.kind == "text"
        assert {(o.name, o.kind) for o in config.definition.objects} == {
            ("PER", "span"),
            ("ORG", "span"),
            ("LOC", "span"),
        }

    def test_multiple_choice(self) -> None:
        config = parse_config(
            '<View><Image name="i" value="$img"/><Choices name="q" toName="i" choice="multiple">'
            '<Choice value="a"/><Choice value="b"/></Choices></View>'
        )
        assert config.definition.classifications[0].multiple
        assert config.subject == Subject("i", "img")

    @pytest.mark.parametrize("folder", ["image_bbox_1", "image_polygon_1", "text_ner_1"])
    def test_written_config_reads_back_the_same(self, folder: str) -> None:
        config = parse_config((FIXTURES / folder / "label_config.xml").read_bytes())
        again = parse_config(write_config(config.definition, config.kind))
        assert again == config


IMAGE = '<View><Image name="i" value="$i"/>'
BOXES = '<RectangleLabels name="r" toName="i"><Label value="a"/></RectangleLabels>'


class TestRefused:
    def test_unsupported_tags_are_named(self) -> None:
        with pytest.raises(UnsupportedTags) as caught:
            parse_config(
                '<View><Image name="i" value="$i"/><KeyPointLabels name="k" toName="i"><Label value="x"/>'
                '</KeyPointLabels><TextArea name="t" toName="i"/></View>'
            )
        assert caught.value.tags == ["KeyPointLabels", "TextArea"]
        assert "KeyPointLabels, TextArea" in str(caught.value)

    def test_entity_expansion_is_refused(self) -> None:
        bomb = (
            '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            '<View><Image name="i" value="$i"/><RectangleLabels name="r" toName="i"><Label value="&b;"/>'
            "</RectangleLabels></View>"
        )
        with pytest.raises(ExchangeError, match="forbidden construct"):
            parse_config(bomb)

    def test_external_entity_is_refused(self) -> None:
        xxe = (
            '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<View><Image name="i" value="$i"/><RectangleLabels name="r" toName="i"><Label value="&x;"/>'
            "</RectangleLabels></View>"
        )
        with pytest.raises(ExchangeError, match="forbidden construct"):
            parse_config(xxe)

    @pytest.mark.parametrize(
        ("xml", "message"),
        [
            ("<View", "not well-formed"),
            (
                '<View><RectangleLabels name="r" toName="i"><Label value="a"/></RectangleLabels></View>',
                "one Image or Text",
            ),
            (
                IMAGE + '<Labels name="l" toName="i"><Label value="a"/></Labels></View>',
                "must label the Text",
            ),
            (
                IMAGE + BOXES.replace('toName="i"', 'toName="x"') + "</View>",
                "must label",
            ),
            (
                IMAGE + '<RectangleLabels name="r" toName="i"></RectangleLabels></View>',
                "has no <Label>",
            ),
            (
                IMAGE
                + BOXES
                + '<PolygonLabels name="p" toName="i"><Label value="a"/></PolygonLabels></View>',
                "defined by two controls",
            ),
        ],
    )
    def test_bad_configs(self, xml: str, message: str) -> None:
        with pytest.raises(ExchangeError, match=message) as caught:
            parse_config(xml)
        assert caught.value.where == "label_config.xml"
