import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
const kafka = new Kafka({ clientId: 'x', brokers: ['127.0.0.1:29092'], logLevel: logLevel.NOTHING });
const admin = kafka.admin(); await admin.connect();
const topic = `kjs-${Date.now()}`;
await admin.createTopics({ topics: [{ topic, numPartitions: 8 }], waitForLeaders: true });
const N = 100_000;
const value = JSON.stringify({ txId: 'tx-1-123456', amountMinor: '-12345', currency: 'MXN' });
const producer = kafka.producer({ idempotent: process.env.IDEM === '1', maxInFlightRequests: 1 }); await producer.connect();
let cpu = process.cpuUsage(); let t = performance.now();
for (let i = 0; i < N; i += 2000) {
  const messages = []; for (let j = 0; j < 2000; j++) messages.push({ key: `acct-${(i + j) % 10000}`, value, timestamp: String(Date.now()) });
  await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages });
}
let c = process.cpuUsage(cpu); console.log('produce', Math.round(N / ((performance.now() - t) / 1000)), 'rec/s', ((c.user + c.system) / N).toFixed(1), 'µs CPU/record');
await producer.disconnect();
// consume
const consumer = kafka.consumer({ groupId: `g-${Date.now()}`, readUncommitted: false, maxWaitTimeInMs: 100 });
await consumer.connect(); await consumer.subscribe({ topic, fromBeginning: true });
let seen = 0; const started = performance.now(); const cpu2 = process.cpuUsage();
await new Promise<void>((resolve) => { void consumer.run({ autoCommit: false, partitionsConsumedConcurrently: 8, eachBatch: async ({ batch }) => { seen += batch.messages.length; if (seen >= N) resolve(); } }); });
c = process.cpuUsage(cpu2); console.log('consume', Math.round(N / ((performance.now() - started) / 1000)), 'rec/s', ((c.user + c.system) / N).toFixed(1), 'µs CPU/record');
await consumer.disconnect(); await admin.deleteTopics({ topics: [topic] }); await admin.disconnect();
