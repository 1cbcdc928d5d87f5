// Driven by TestKafkajsConsumerGroup (../kafkajs_test.go) with node:
//
//   node groups.js BOOTSTRAP TOPIC GROUP PREFIX N PARTITIONS
//
// Two kafkajs 2.2.4 consumers ("a" and "b") join GROUP on TOPIC (from the
// beginning, auto-commit after every batch, the default). Once the group
// has settled on a split (each member's last GROUP_JOIN assignment is
// non-empty, disjoint from the other's, and together they cover every
// partition), a kafkajs producer sends N gzip-compressed records
// PREFIX-0..N-1 (kafkajs only ships a gzip codec), partition i % PARTITIONS.
// The consumers read until N records arrived, then disconnect (committing
// what they resolved and leaving the group), and the script fetches the
// group's committed offsets with the kafkajs admin client.
//
// Prints one JSON object on the last line of stdout: consumed records
// [member, partition, offset, value], each member's last assignment and
// the committed offsets. Logs go to stderr.
'use strict'

const { Kafka, CompressionTypes, logLevel } = require('kafkajs')

const [bootstrap, topic, groupId, prefix, nArg, partsArg] = process.argv.slice(2)
const n = Number(nArg)
const partitions = Number(partsArg)

const out = { consumed: [], assignments: {}, committed: {}, errors: [] }

function finish(code) {
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(code))
}

const deadline = setTimeout(() => {
  out.errors.push(`timed out: consumed ${out.consumed.length} of ${n}, assignments ${JSON.stringify(out.assignments)}`)
  finish(1)
}, 60000)

const kafka = new Kafka({
  clientId: 'strom-kafkajs',
  brokers: [bootstrap],
  connectionTimeout: 5000,
  retry: { initialRetryTime: 100, retries: 10 },
  logLevel: logLevel.WARN,
  logCreator: () => ({ namespace, level, label, log }) => {
    process.stderr.write(`${label} [${namespace}] ${log.message} ${JSON.stringify(log)}\n`)
  },
})

// waiters are re-checked whenever something happens.
let waiters = []
function changed() {
  waiters = waiters.filter(w => !w.cond() || (w.resolve(), false))
}
function until(cond) {
  return new Promise(resolve => {
    waiters.push({ cond, resolve })
    changed()
  })
}

function isSplit() {
  const a = out.assignments.a || []
  const b = out.assignments.b || []
  if (a.length === 0 || b.length === 0) return false
  const all = [...a, ...b].sort((x, y) => x - y)
  return all.length === partitions && all.every((p, i) => p === i)
}

async function startConsumer(name) {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10000,
    rebalanceTimeout: 10000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 200,
    retry: { initialRetryTime: 100, retries: 10 },
  })
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    out.assignments[name] = (payload.memberAssignment[topic] || []).slice().sort((x, y) => x - y)
    changed()
  })
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    out.errors.push(`${name} crashed: ${payload.error && payload.error.message}`)
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      out.consumed.push([name, partition, Number(message.offset), message.value.toString()])
      changed()
    },
  })
  return consumer
}

async function main() {
  const admin = kafka.admin()
  await admin.connect()
  const consumers = [await startConsumer('a'), await startConsumer('b')]
  await until(isSplit)

  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  for (let start = 0; start < n; start += 50) {
    const messages = []
    for (let i = start; i < Math.min(n, start + 50); i++) {
      messages.push({ key: String(i), value: `${prefix}-${i}`, partition: i % partitions })
    }
    await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages })
  }
  await producer.disconnect()

  await until(() => out.consumed.length >= n)
  for (const c of consumers) {
    await c.disconnect() // commits resolved offsets, then leaves the group
  }
  const offs = await admin.fetchOffsets({ groupId, topics: [topic] })
  for (const t of offs) {
    for (const p of t.partitions) {
      out.committed[p.partition] = Number(p.offset)
    }
  }
  await admin.disconnect()
}

main().then(
  () => {
    clearTimeout(deadline)
    finish(out.errors.length ? 1 : 0)
  },
  err => {
    out.errors.push(`${err.name}: ${err.message}`)
    finish(1)
  },
)
