/**
 * What the NOTIFY intake needs from a dialog-event NOTIFY (RFC 6665 §8.2, RFC 4235 §3), pure.
 */

export type DialogNotifyErrorCode = 'not-dialog-event' | 'unsupported-content-type';

export type DialogNotify =
  | {
      ok: true;
      body: string;
      /** The From URI: the partner, when the body does not name it (innovaphone). */
      from: string | null;
      /** The Call-ID: versions count per subscription dialog. */
      subscription: string | null;
      /** `Subscription-State` as sent, e.g. `active;expires=600` or `terminated;reason=timeout`. */
      subscriptionState: string | null;
    }
  | { ok: false; code: DialogNotifyErrorCode; message: string };

/** A NOTIFY's headers by name (full or compact form) and its body, whatever carried it. */
export interface NotifyParts {
  header(name: string): string | null;
  body: string;
}

export function readDialogNotify(message: NotifyParts): DialogNotify {
  // RFC 6665 §8.2.1: the event type is the token before any parameter (`dialog;shared` is RFC 7463's).
  const event = message.header('event');
  const eventType = event?.split(';')[0]?.trim().toLowerCase();
  if (eventType != null && eventType !== 'dialog') {
    return { ok: false, code: 'not-dialog-event', message: `Event is "${event}", not dialog (RFC 4235)` };
  }
  const contentType = message.header('content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (message.body !== '' && mediaType != null && !/^[a-z0-9.+-]+\/([a-z0-9.-]+\+)?xml$/.test(mediaType)) {
    return {
      ok: false,
      code: 'unsupported-content-type',
      message: `Content-Type is "${mediaType}", expected application/dialog-info+xml`,
    };
  }
  return {
    ok: true,
    body: message.body,
    from: message.header('from'),
    subscription: message.header('call-id'),
    subscriptionState: message.header('subscription-state'),
  };
}
