"""Annotations in and out: the readers and writers of the formats teams bring and training code reads
(Label Studio's labeling config and JSON export, COCO, YOLO, Pascal VOC, CoNLL 2003, Label Studio JSON
and the platform's own JSON lines).

Pure code on ``enclave.exchange.records``: no database, no network, no key. The api's imports and the
worker's exports use it, and so does ``enclave convert`` on a data scientist's laptop, so one set of
readers and writers serves both. Must never fetch a URL it reads (a media reference is a name to match)
nor write a partial artifact (writers yield bytes; a sink commits them whole or not at all).
"""
