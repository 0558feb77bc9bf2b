/**
 * Types for the parts of the npm `sip` package (0.0.6, untyped CommonJS) that src/sip/stack.ts uses.
 * Only the stack imports `sip`; everything else sees our own types.
 */
declare module 'sip' {
  namespace sip {
    type Params = Record<string, string | null>;

    interface Via {
      version?: string;
      protocol?: string;
      host?: string;
      port?: number;
      params: Params;
    }

    interface NameAddr {
      name?: string;
      uri: string;
      params: Params;
    }

    interface CSeq {
      seq: number;
      method: string;
    }

    /** Parsed digest challenge or credentials: quoted values keep their quotes. */
    type AuthParams = Record<string, string | undefined> & { scheme?: string };

    interface Headers {
      via?: Via[];
      from?: NameAddr;
      to?: NameAddr;
      'call-id'?: string;
      cseq?: CSeq;
      contact?: NameAddr[] | '*';
      route?: NameAddr[];
      'record-route'?: NameAddr[];
      'content-length'?: number;
      /** Parsed on the way in; written as given on the way out (text is written as is). */
      'www-authenticate'?: AuthParams[] | string;
      'proxy-authenticate'?: AuthParams[] | string;
      [name: string]: unknown;
    }

    interface Message {
      method?: string;
      uri?: string;
      status?: number;
      reason?: string;
      version?: string;
      headers: Headers;
      content?: string;
    }

    interface Target {
      protocol: string;
      address: string;
      port: number;
      local?: { address: string; port: number };
    }

    interface Connection {
      send(message: Message): void;
      release(): void;
      protocol: string;
    }

    interface ServerTransaction {
      send(response: Message): void;
      message?(message: Message, remote?: Target): void;
      shutdown(): void;
    }

    interface ClientTransaction {
      message?(message: Message, remote?: Target): void;
      shutdown(): void;
    }

    interface TransactionLayer {
      createServerTransaction(request: Message, connection: Connection): ServerTransaction;
      createClientTransaction(
        connection: Connection,
        request: Message,
        callback: (response: Message) => void,
      ): ClientTransaction;
      getServer(message: Message): ServerTransaction | undefined;
      getClient(message: Message): ClientTransaction | undefined;
      destroy(): void;
    }
  }

  const sip: {
    /** Parses one whole message given as a binary string (one character per byte). */
    parse(data: string): sip.Message | undefined;
    stringify(message: sip.Message): string;
    makeResponse(request: sip.Message, status: number, reason?: string): sip.Message;
    makeTransactionLayer(
      options: Record<string, unknown>,
      open: (target: sip.Target, onError?: (error: Error) => void) => sip.Connection,
    ): sip.TransactionLayer;
    generateBranch(): string;
  };
  export = sip;
}
