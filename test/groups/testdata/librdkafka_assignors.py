# Driven by TestLibrdkafkaAssignors (librdkafka_test.go); run with
# /usr/bin/python3 and Debian's python3-confluent-kafka (librdkafka 2.0.2).
#
#   librdkafka_assignors.py BOOTSTRAP TOPIC GROUP STRATEGY PARTITIONS PRELOADED
#
# Two consumers "a" and "b" of one group, polled in turn from this one
# thread, with partition.assignment.strategy=STRATEGY:
#   phase "join":  a joins alone and starts on the PRELOADED records the test
#                  produced; b joins while a is consuming (a rebalance in
#                  the middle of consumption); they read every PRELOADED
#                  record between them.
#   phase "split": a and b hold disjoint, non-empty assignments covering
#                  every partition; the script produces more records and
#                  both consume them.
#   phase "leave": b closes (LeaveGroup); a takes every partition and
#                  consumes a last batch produced after that.
# Every record is committed synchronously before the next poll, so a
# rebalance never hands a processed, uncommitted record to the other
# member: each record must be consumed exactly once overall.
#
# Prints one JSON object on the last line of stdout: the records consumed
# (who, phase, partition, offset, value) and assignments seen per phase.
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer

bootstrap, topic, group, strategy = sys.argv[1:5]
partitions, preloaded = int(sys.argv[5]), int(sys.argv[6])
PER_PHASE = 120
DEADLINE = time.time() + 60

out = {"strategy": strategy, "consumed": [], "assignments": {}, "errors": []}


def fail(msg):
    out["errors"].append(msg)
    print(json.dumps(out), flush=True)
    sys.exit(1)


def consumer(name):
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": name,
        "partition.assignment.strategy": strategy,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 300,
        "fetch.wait.max.ms": 100,
        "topic.metadata.refresh.interval.ms": 1000,
    })
    c.subscribe([topic])
    return c


def parts(c):
    return sorted(tp.partition for tp in c.assignment() if tp.topic == topic)


def poll(name, c, phase):
    """One poll: process what arrived, then commit it synchronously."""
    msgs = c.consume(num_messages=100, timeout=0.1)
    done = []
    for m in msgs:
        if m.error():
            out["errors"].append("%s: %s" % (name, m.error()))
            continue
        out["consumed"].append([name, phase, m.partition(), m.offset(), m.value().decode()])
        done.append(m)
    if done:
        try:
            c.commit(asynchronous=False)
        except KafkaException as e:
            out["errors"].append("%s: commit: %s" % (name, e))
    return len(done)


def count(phase):
    return sum(1 for r in out["consumed"] if r[1] == phase)


def until(what, members, phase, cond):
    while not cond():
        if time.time() > DEADLINE:
            fail("timed out in phase %s waiting for %s; a=%s b=%s consumed=%d" % (
                phase, what, parts(members[0][1]),
                parts(members[1][1]) if len(members) > 1 else None, count(phase)))
        for name, c in members:
            poll(name, c, phase)


def split(*cs):
    seen = []
    for c in cs:
        ps = parts(c)
        if not ps:
            return False
        seen += ps
    return sorted(seen) == list(range(partitions))


def produce(prefix, n):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    errs = []
    for i in range(n):
        p.produce(topic, ("%s-%d" % (prefix, i)).encode(), key=str(i).encode(), partition=i % partitions,
                  on_delivery=lambda err, msg: err and errs.append(str(err)))
    if p.flush(30) != 0 or errs:
        fail("produce %s: %d undelivered, errors %s" % (prefix, len(p), errs[:3]))


a = consumer("a")
# a alone: all partitions, and some of the preloaded records read and
# committed before b joins.
until("a to own every partition and consume", [("a", a)], "join",
      lambda: split(a) and count("join") > 0)
b = consumer("b")
ab = [("a", a), ("b", b)]
until("a and b to split and read every preloaded record", ab, "join",
      lambda: split(a, b) and count("join") >= preloaded)
out["assignments"]["join"] = {"a": parts(a), "b": parts(b)}

produce("split", PER_PHASE)
until("the split phase's records", ab, "split", lambda: count("split") >= PER_PHASE)
out["assignments"]["split"] = {"a": parts(a), "b": parts(b)}

b.close()  # commits nothing more (manual commits) and sends LeaveGroup
until("a to take every partition", [("a", a)], "leave", lambda: parts(a) == list(range(partitions)))
produce("leave", PER_PHASE)
until("the leave phase's records", [("a", a)], "leave", lambda: count("leave") >= PER_PHASE)
out["assignments"]["leave"] = {"a": parts(a)}

# Let stragglers (duplicates) show up: a few more polls must return nothing.
for _ in range(5):
    poll("a", a, "leave")
a.close()
print(json.dumps(out), flush=True)
