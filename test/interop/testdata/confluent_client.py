"""Drives python3-confluent-kafka (librdkafka) against a broker; prints JSON.

Usage:
  confluent_client.py produce_consume BOOTSTRAP TOPIC N TOPIC3
  confluent_client.py admin BOOTSTRAP PREFIX

Every wait is bounded; the Go test asserts on the JSON printed to stdout.
"""
import json
import sys
import time

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError,
                             KafkaException, Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

TIMEOUT = 20.0


def dec(b):
    return None if b is None else b.decode("utf-8")


def read(c, topic, offset, want):
    """assign() at offset and poll until `want` records or the deadline."""
    c.assign([TopicPartition(topic, 0, offset)])
    recs, errors = [], []
    deadline = time.monotonic() + TIMEOUT
    while len(recs) < want and time.monotonic() < deadline:
        msg = c.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() != KafkaError._PARTITION_EOF:
                errors.append(str(msg.error()))
            continue
        recs.append({
            "partition": msg.partition(),
            "offset": msg.offset(),
            "key": dec(msg.key()),
            "value": dec(msg.value()),
            "headers": [[k, dec(v)] for k, v in (msg.headers() or [])],
        })
    c.unassign()
    return {"records": recs, "errors": errors}


def produce_consume(bootstrap, topic, n, topic3):
    out = {}
    receipts = []

    # The user's pattern: a delivery callback named receipt, then flush.
    def receipt(err, msg):
        receipts.append({
            "err": None if err is None else str(err),
            "topic": msg.topic(),
            "partition": msg.partition(),
            "offset": msg.offset(),
            "key": dec(msg.key()),
            "value": dec(msg.value()),
        })

    p = Producer({
        "bootstrap.servers": bootstrap,
        "client.id": "strom-interop",
        "message.timeout.ms": 20000,
    })
    for i in range(n):
        m = "message-%03d" % i
        p.produce(topic, m.encode("utf-8"), key=("key-%03d" % i).encode(),
                  headers=[("idx", str(i).encode())], callback=receipt)
        p.poll(0)
    out["flush_remaining"] = p.flush(TIMEOUT)
    out["receipts"] = receipts

    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "strom-interop-" + topic,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": True,
    })
    md = c.list_topics(timeout=TIMEOUT)
    out["topics"] = sorted(md.topics.keys())
    out["partitions"] = {t: len(md.topics[t].partitions)
                         for t in (topic, topic3) if t in md.topics}
    out["brokers"] = ["%s:%d" % (b.host, b.port) for b in md.brokers.values()]
    out["from_beginning"] = read(c, topic, OFFSET_BEGINNING, n)
    out["from_offset"] = read(c, topic, 3, n - 3)
    c.close()
    return out


def wait_topic(a, name, present):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if (name in a.list_topics(timeout=TIMEOUT).topics) == present:
            return True
        time.sleep(0.1)  # bounded poll of a real condition inside a deadline
    return False


def kerr(e):
    err = e.args[0] if e.args else None
    if isinstance(err, KafkaError):
        return {"code": err.code(), "name": err.name(), "str": err.str()}
    return {"code": None, "name": type(e).__name__, "str": str(e)}


def admin(bootstrap, prefix):
    out = {}
    a = AdminClient({"bootstrap.servers": bootstrap})
    good = prefix + "-good"
    bad = "bad/name!" + prefix
    out["good"], out["bad"] = good, bad
    fs = a.create_topics([
        NewTopic(good, num_partitions=3, replication_factor=1),
        NewTopic(bad, num_partitions=1, replication_factor=1),
    ], request_timeout=TIMEOUT)
    created = {}
    for name, f in fs.items():
        try:
            f.result(timeout=TIMEOUT)
            created[name] = None
        except KafkaException as e:
            created[name] = kerr(e)
    out["create"] = created
    out["listed_after_create"] = wait_topic(a, good, True)
    md = a.list_topics(timeout=TIMEOUT)
    out["good_partitions"] = len(md.topics[good].partitions) if good in md.topics else -1
    out["bad_listed"] = bad in md.topics

    try:
        res = a.describe_configs([ConfigResource("topic", good)],
                                 request_timeout=TIMEOUT)
        configs = {}
        for _, f in res.items():
            for name, entry in f.result(timeout=TIMEOUT).items():
                configs[name] = entry.value
        out["configs"] = configs
    except KafkaException as e:
        out["configs_error"] = kerr(e)

    deleted = {}
    for name, f in a.delete_topics([good], operation_timeout=TIMEOUT,
                                   request_timeout=TIMEOUT).items():
        try:
            f.result(timeout=TIMEOUT)
            deleted[name] = None
        except KafkaException as e:
            deleted[name] = kerr(e)
    out["delete"] = deleted
    out["gone_after_delete"] = wait_topic(a, good, False)
    return out


def main():
    mode, bootstrap = sys.argv[1], sys.argv[2]
    if mode == "produce_consume":
        out = produce_consume(bootstrap, sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif mode == "admin":
        out = admin(bootstrap, sys.argv[3])
    else:
        raise SystemExit("unknown mode " + mode)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
