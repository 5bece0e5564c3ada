import {execFileSync} from 'node:child_process'
import path from 'node:path'

/** A self-signed certificate for localhost (key.pem, cert.pem in `dir`, made by openssl), for stand-in API servers on loopback. */
export function selfSignedCert(dir: string): {keyFile: string; certFile: string} {
  const keyFile = path.join(dir, 'key.pem')
  const certFile = path.join(dir, 'cert.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost'], {
    stdio: 'ignore',
  })
  return {keyFile, certFile}
}
