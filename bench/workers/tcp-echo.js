// The cluster group's reference: a raw TCP echo server in a process of its own, on a free
// 127.0.0.1 port (printed as `listening <port>`). Frames are length-prefixed (u32 little-endian,
// then the body); every frame is sent back as it came. The frames that arrived in one read are
// answered in one write, as Troupe's wire answers the calls of one tick in one batch. It exits
// when its stdin closes (its parent is gone), or when it is signalled by PID.
import net from 'node:net';

const server = net.createServer({ noDelay: true }, (socket) => {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    const buffer = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    const frames = [];
    while (buffer.length - offset >= 4) {
      const end = offset + 4 + buffer.readUInt32LE(offset);
      if (end > buffer.length) break;
      frames.push(buffer.subarray(offset, end));
      offset = end;
    }
    pending = buffer.subarray(offset);
    if (frames.length === 1) socket.write(frames[0]);
    else if (frames.length > 1) socket.write(Buffer.concat(frames));
  });
  socket.on('error', () => socket.destroy());
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
