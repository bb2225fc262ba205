/** What every call-overhead and payload contender offers the measures. */
export interface EchoClient {
  echo(x: unknown): Promise<unknown>;
  /** Sends the buffer moved (transferred), and gets it back moved. */
  bounce?(buffer: ArrayBuffer): Promise<ArrayBuffer>;
}
