// A TCP proxy that makes the local API server look remote: a fixed round-trip time and a link of
// fixed bandwidth, shared by every connection in each direction, as a real network path is. TLS
// passes through untouched (the API server's certificate names 127.0.0.1, where the proxy listens).
//
// Model, per direction: a chunk starts on the link when the link is free, takes bytes * 8 / rate
// to send, and arrives half the round trip later. Arrival times only grow, so every connection's
// bytes stay in order.
import net from 'node:net'

import {spawnServer} from './lib.mjs'

export async function startWanProxy({targetHost = '127.0.0.1', targetPort, rttMs, mbitPerSec}) {
  const bytesPerMs = (mbitPerSec * 1e6) / 8 / 1000
  const oneWayMs = rttMs / 2
  // One FIFO per direction with one timer for its head: separate timers per chunk can fire out of
  // order (Node groups timers by duration), which TLS would see as a corrupt record.
  const link = () => ({freeAt: 0, queue: [], timer: undefined})
  const links = {up: link(), down: link()}
  const drain = (l) => {
    l.timer = undefined
    const now = performance.now()
    while (l.queue.length > 0 && l.queue[0].at <= now) l.queue.shift().deliver()
    if (l.queue.length > 0) l.timer = setTimeout(drain, Math.max(1, l.queue[0].at - now), l)
  }
  const shape = (l, chunk, deliver) => {
    const now = performance.now()
    const start = Math.max(now, l.freeAt)
    l.freeAt = start + chunk.length / bytesPerMs
    l.queue.push({at: l.freeAt + oneWayMs, deliver: () => deliver(chunk)})
    if (!l.timer) l.timer = setTimeout(drain, Math.max(1, l.freeAt + oneWayMs - now), l)
  }
  const sockets = new Set()
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.setNoDelay(true)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.on('data', (chunk) => shape(links.up, chunk, (c) => upstream.writable && upstream.write(c)))
    upstream.on('data', (chunk) => shape(links.down, chunk, (c) => client.writable && client.write(c)))
    // A close travels like data: after what was sent before it.
    client.on('end', () => shape(links.up, Buffer.alloc(0), () => upstream.end()))
    upstream.on('end', () => shape(links.down, Buffer.alloc(0), () => client.end()))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(resolve)
      }),
  }
}

/**
 * Starts the proxy in its own process (the benchmarks time commands with spawnSync, which would
 * stall a proxy in their own event loop). Resolves to {port, close}.
 */
export async function spawnWanProxy({targetPort, rttMs, mbitPerSec}) {
  const {child, port} = await spawnServer(
    'the WAN proxy',
    process.execPath,
    [new URL(import.meta.url).pathname, String(targetPort), String(rttMs), String(mbitPerSec)],
    {stderr: 'inherit'},
  )
  return {port, close: () => child.kill('SIGTERM')}
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [targetPort, rttMs, mbitPerSec] = process.argv.slice(2).map(Number)
  const proxy = await startWanProxy({targetPort, rttMs, mbitPerSec})
  console.log(`PORT ${proxy.port}`)
}
