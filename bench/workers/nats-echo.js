// The cluster group's NATS reference: a nats.js client in a process of its own that answers
// every message on its subject to the message's reply subject, bytes as they came. It prints
// `ready` once subscribed, and exits when its stdin closes (its parent is gone) or it is
// signalled by PID.
import { connect } from '@nats-io/transport-node';

const [url, subject] = process.argv.slice(2);
const nc = await connect({ servers: url, name: 'troupe-bench-nats-echo' });
nc.subscribe(subject, {
  callback: (error, msg) => {
    if (!error && msg.reply) nc.publish(msg.reply, msg.data);
  },
});
await nc.flush();
process.stdout.write('ready\n');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
