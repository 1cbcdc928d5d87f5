# Driven by TestLibrdkafkaStaticMembershipRestart (static_test.go); run
# with /usr/bin/python3 and Debian's python3-confluent-kafka.
#
#   librdkafka_static.py BOOTSTRAP TOPIC GROUP
#
# Two consumers with group.instance.id "ia" and "ib" (range assignor) read
# the 80 records the test produced. Then "ib" closes (librdkafka sends no
# LeaveGroup for a static member) and a new consumer with instance id
# "ib" takes its place. The script stops at SPLIT, CLOSED and RESTARTED,
# printing the word and waiting for a line on stdin so the test can
# describe the group; after RESTARTED the test produces 40 more records.
# Every record is committed synchronously before the next poll.
#
# Last stdout line: JSON with assignments before/after, the rebalance
# callbacks each consumer saw, and the records consumed.
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException

bootstrap, topic, group = sys.argv[1:4]
PARTITIONS, TOTAL = 4, 120
DEADLINE = time.time() + 45
out = {"rebalances": {}, "before": {}, "after": {}, "consumed": [], "errors": []}


def fail(msg):
    out["errors"].append(msg)
    print(json.dumps(out), flush=True)
    sys.exit(1)


def consumer(name, instance):
    events = out["rebalances"].setdefault(name, [])
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "group.instance.id": instance,
        "client.id": name,
        "partition.assignment.strategy": "range",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 20000,  # a restart well within it
        "heartbeat.interval.ms": 300,
        "fetch.wait.max.ms": 100,
    })
    c.subscribe([topic],
                on_assign=lambda c, ps: events.append("assign %s" % sorted(p.partition for p in ps)),
                on_revoke=lambda c, ps: events.append("revoke %s" % sorted(p.partition for p in ps)))
    return c


def parts(c):
    return sorted(tp.partition for tp in c.assignment() if tp.topic == topic)


def poll(name, c):
    msgs = c.consume(num_messages=100, timeout=0.1)
    done = False
    for m in msgs:
        if m.error():
            out["errors"].append("%s: %s" % (name, m.error()))
            continue
        out["consumed"].append([name, m.value().decode(), m.partition(), m.offset()])
        done = True
    if done:
        try:
            c.commit(asynchronous=False)
        except KafkaException as e:
            out["errors"].append("%s: commit: %s" % (name, e))


def until(what, members, cond):
    while not cond():
        if time.time() > DEADLINE:
            fail("timed out waiting for %s; assignments %s; consumed %d" % (
                what, {n: parts(c) for n, c in members}, len(out["consumed"])))
        for name, c in members:
            poll(name, c)


def pause(word):
    print(word, flush=True)
    if sys.stdin.readline() == "":
        fail("stdin closed at " + word)


a = consumer("a", "ia")
until("a to own every partition", [("a", a)], lambda: parts(a) == list(range(PARTITIONS)))
b = consumer("b", "ib")
until("a and b to split and read 80", [("a", a), ("b", b)],
      lambda: parts(a) and parts(b) and len(parts(a) + parts(b)) == PARTITIONS and len(out["consumed"]) >= 80)
out["before"] = {"a": parts(a), "b": parts(b)}
mark = len(out["rebalances"]["a"])
pause("SPLIT")

b.close()
pause("CLOSED")

b2 = consumer("b2", "ib")
until("the restarted ib to get an assignment", [("a", a), ("b2", b2)], lambda: parts(b2))
out["after"] = {"a": parts(a), "b2": parts(b2)}
pause("RESTARTED")

until("all %d records" % TOTAL, [("a", a), ("b2", b2)], lambda: len(out["consumed"]) >= TOTAL)
for _ in range(5):  # stragglers (duplicates) would show up here
    poll("a", a)
    poll("b2", b2)
out["rebalances"]["a_after_split"] = out["rebalances"]["a"][mark:]
a.close()
b2.close()
print(json.dumps(out), flush=True)
