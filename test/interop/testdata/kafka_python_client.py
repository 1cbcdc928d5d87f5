"""Drives python3-kafka (kafka-python) against a broker; prints JSON.

Usage:
  kafka_python_client.py produce_consume BOOTSTRAP TOPIC N
  kafka_python_client.py admin BOOTSTRAP PREFIX

Every wait is bounded; the Go test asserts on the JSON printed to stdout.
"""
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

TIMEOUT = 20.0
MS = int(TIMEOUT * 1000)


def dec(b):
    return None if b is None else b.decode("utf-8")


def read(c, tp, want):
    recs = []
    deadline = time.monotonic() + TIMEOUT
    while len(recs) < want and time.monotonic() < deadline:
        for _, batch in c.poll(timeout_ms=500).items():
            for r in batch:
                recs.append({
                    "partition": r.partition,
                    "offset": r.offset,
                    "key": dec(r.key),
                    "value": dec(r.value),
                    "headers": [[k, dec(v)] for k, v in (r.headers or [])],
                })
    return recs


def produce_consume(bootstrap, topic, n):
    out = {}
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all",
                      request_timeout_ms=MS, max_block_ms=MS)
    out["producer_api_version"] = list(p.config["api_version"])
    half = n // 2
    sync_offsets = []
    # Synchronous: send(...).get(timeout) one by one.
    for i in range(half):
        md = p.send(topic, key=("key-%03d" % i).encode(),
                    value=("value-%03d" % i).encode(),
                    headers=[("idx", str(i).encode())],
                    partition=0).get(timeout=TIMEOUT)
        sync_offsets.append(md.offset)
    out["sync_offsets"] = sync_offsets
    # Asynchronous: send all, flush, then look at each future.
    futures = [p.send(topic, key=("key-%03d" % i).encode(),
                      value=("value-%03d" % i).encode(),
                      headers=[("idx", str(i).encode())], partition=0)
               for i in range(half, n)]
    p.flush(timeout=TIMEOUT)
    async_offsets, async_errors = [], []
    for f in futures:
        if not f.is_done:
            async_errors.append("not done after flush")
        elif f.failed():
            async_errors.append(repr(f.exception))
        else:
            async_offsets.append(f.value.offset)
    out["async_offsets"] = async_offsets
    out["async_errors"] = async_errors
    p.close(timeout=TIMEOUT)

    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                      enable_auto_commit=False, request_timeout_ms=MS + 5000)
    out["consumer_api_version"] = list(c.config["api_version"])
    out["topics"] = sorted(c.topics())
    out["partitions"] = sorted(c.partitions_for_topic(topic) or [])
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    out["from_beginning"] = read(c, tp, n)
    c.seek(tp, 3)
    out["from_offset"] = read(c, tp, n - 3)
    out["end_offsets"] = {str(k.partition): v for k, v in c.end_offsets([tp]).items()}
    c.close()
    return out


def admin(bootstrap, prefix):
    out = {}
    a = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=MS)
    name = prefix + "-kp"
    resp = a.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)],
                           timeout_ms=MS)
    out["create_errors"] = [[t[0], t[1]] for t in resp.topic_errors]
    deadline = time.monotonic() + TIMEOUT
    listed = False
    while time.monotonic() < deadline:
        if name in a.list_topics():
            listed = True
            break
        time.sleep(0.1)  # bounded poll of a real condition inside a deadline
    out["listed_after_create"] = listed
    resp = a.delete_topics([name], timeout_ms=MS)
    out["delete_errors"] = [[t[0], t[1]] for t in resp.topic_error_codes]
    deadline = time.monotonic() + TIMEOUT
    gone = False
    while time.monotonic() < deadline:
        if name not in a.list_topics():
            gone = True
            break
        time.sleep(0.1)
    out["gone_after_delete"] = gone
    a.close()
    return out


def main():
    mode, bootstrap = sys.argv[1], sys.argv[2]
    if mode == "produce_consume":
        out = produce_consume(bootstrap, sys.argv[3], int(sys.argv[4]))
    elif mode == "admin":
        out = admin(bootstrap, sys.argv[3])
    else:
        raise SystemExit("unknown mode " + mode)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
