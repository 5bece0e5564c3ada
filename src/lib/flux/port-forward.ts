import {createServer, type AddressInfo, type Server, type Socket} from 'node:net'

import {type KubeConfig, PortForward} from '@kubernetes/client-node'

export interface LocalForward {
  /** 127.0.0.1:<port> on this machine, forwarded to the pod's port. */
  port: number
  close(): Promise<void>
}

/**
 * What `kubectl port-forward` (and fluxctl's --k8s-fwd-ns) does: a local listener whose every
 * connection becomes one port-forward stream to the pod through the API server
 * (pods/portforward), so nothing but the API server needs to be reachable.
 */
export async function forwardPodPort(kc: KubeConfig, namespace: string, pod: string, podPort: number): Promise<LocalForward> {
  const forward = new PortForward(kc, true)
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    forward.portForward(namespace, pod, [podPort], socket, null, socket).then(
      (ws) => {
        const close = () => {
          const conn = typeof ws === 'function' ? ws() : ws
          conn?.close()
        }
        socket.on('close', close)
      },
      () => socket.destroy(),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
