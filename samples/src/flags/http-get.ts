import { type Agent, get } from 'node:http';

/**
 * GETs `url` and resolves with its body; rejects on a network error or a status other than 2xx.
 * Both the async actor and the blocking helper use it, so they differ only in how they wait.
 */
export function httpGet(url: string, agent: Agent): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(body);
        else reject(new Error(`HTTP ${res.statusCode}: ${body.toString('utf8').trim()}`));
      });
    }).on('error', reject);
  });
}
