// Plain, readable e-mails in Spanish and English: the guest's language where known, the
// restaurant's otherwise.
export type Language = 'es' | 'en';

export interface RenderedEmail {
  subject: string;
  text: string;
}

export interface ReservationView {
  restaurantName: string;
  customerName: string;
  /** Local date and time, already formatted for the language. */
  when: string;
  partySize: number;
  /** A guest's hold: the local time it is released unless confirmed. */
  holdUntil?: string;
  /** The booking's page, where the guest sees it and can confirm or cancel it. */
  link?: string;
}

export interface ReceiptView {
  restaurantName: string;
  orderNumber: string;
  currency: string;
  items: Array<{ name: string; quantity: number; totalPrice: number }>;
  totalAmount: number;
}

const money = (amount: number, currency: string, language: Language) =>
  new Intl.NumberFormat(language === 'es' ? 'es-ES' : 'en-GB', { style: 'currency', currency }).format(amount);

function linksBlock(r: ReservationView, language: Language, what: 'confirm' | 'cancel'): string[] {
  if (!r.link) return [];
  const es = language === 'es';
  const label = what === 'confirm' ? (es ? 'Ver, confirmar o cancelar la reserva:' : 'See, confirm or cancel the booking:') : es ? 'Ver o cancelar la reserva:' : 'See or cancel the booking:';
  return ['', label, r.link];
}

export function renderReservation(
  type: 'reservation_confirmation' | 'reservation_reminder' | 'reservation_cancellation',
  r: ReservationView,
  language: Language,
): RenderedEmail {
  const es = language === 'es';
  const people = es ? `${r.partySize} ${r.partySize === 1 ? 'persona' : 'personas'}` : `${r.partySize} ${r.partySize === 1 ? 'person' : 'people'}`;
  switch (type) {
    case 'reservation_confirmation':
      return {
        subject: es ? `Tu reserva en ${r.restaurantName}: ${r.when}` : `Your booking at ${r.restaurantName}: ${r.when}`,
        text: [
          es ? `Hola, ${r.customerName}:` : `Hello ${r.customerName},`,
          '',
          es ? `Hemos recibido tu reserva para ${people} el ${r.when}.` : `We have your booking for ${people} on ${r.when}.`,
          es ? 'Por favor, confírmala con el enlace de abajo.' : 'Please confirm it with the link below.',
          ...(r.holdUntil
            ? [es ? `Si no la confirmas antes de las ${r.holdUntil}, la mesa quedará libre de nuevo.` : `Unless you confirm it by ${r.holdUntil}, the table will be released.`]
            : []),
          ...linksBlock(r, language, 'confirm'),
          '',
          es ? `Hasta pronto,\n${r.restaurantName}` : `See you soon,\n${r.restaurantName}`,
        ].join('\n'),
      };
    case 'reservation_reminder':
      return {
        subject: es ? `Recordatorio: ${r.restaurantName}, ${r.when}` : `Reminder: ${r.restaurantName}, ${r.when}`,
        text: [
          es ? `Hola, ${r.customerName}:` : `Hello ${r.customerName},`,
          '',
          es ? `Te esperamos el ${r.when} (${people}).` : `We look forward to seeing you on ${r.when} (${people}).`,
          es ? 'Si no puedes venir, cancela la reserva con el enlace de abajo.' : 'If you cannot come, please cancel with the link below.',
          ...linksBlock(r, language, 'cancel'),
          '',
          r.restaurantName,
        ].join('\n'),
      };
    case 'reservation_cancellation':
      return {
        subject: es ? `Reserva cancelada: ${r.restaurantName}, ${r.when}` : `Booking cancelled: ${r.restaurantName}, ${r.when}`,
        text: [
          es ? `Hola, ${r.customerName}:` : `Hello ${r.customerName},`,
          '',
          es ? `Tu reserva para ${people} el ${r.when} está cancelada.` : `Your booking for ${people} on ${r.when} is cancelled.`,
          '',
          r.restaurantName,
        ].join('\n'),
      };
  }
}

export function renderReceipt(o: ReceiptView, language: Language): RenderedEmail {
  const es = language === 'es';
  const lines = o.items.map((i) => `  ${String(i.quantity).padStart(3)} × ${i.name.padEnd(40)} ${money(i.totalPrice, o.currency, language)}`);
  return {
    subject: es ? `Tu pedido ${o.orderNumber} en ${o.restaurantName}` : `Your order ${o.orderNumber} at ${o.restaurantName}`,
    text: [
      es ? `Gracias por tu pedido ${o.orderNumber}.` : `Thank you for your order ${o.orderNumber}.`,
      '',
      ...lines,
      '',
      `  ${(es ? 'Total' : 'Total').padEnd(46)} ${money(o.totalAmount, o.currency, language)}`,
      '',
      o.restaurantName,
    ].join('\n'),
  };
}
