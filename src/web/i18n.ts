// Spanish and English for every page. The language comes from `?lang=` (the switch, remembered
// in a cookie), else the `lang` cookie, else Accept-Language, else the restaurant's. Pages pass
// the strings their script needs in their JSON data (`stringsFor`), so the client has no copy of
// the dictionary to keep in step. Dish names are never translated: they are shown as the
// restaurant wrote them.

import { menuAdminMessages } from './messages/admin-menu.js';
import { resAdminMessages } from './messages/admin-reservations.js';
import { floorMessages } from './messages/floor.js';
import { kitchenMessages } from './messages/kitchen.js';
import { kitchenSettingsMessages } from './messages/kitchen-settings.js';
import { opsMessages } from './messages/ops.js';
import type { Messages } from './messages/define.js';
import { staffMessages } from './messages/staff.js';
import { staffAdminMessages } from './messages/staff-admin.js';

export const languages = ['es', 'en'] as const;
export type Lang = (typeof languages)[number];

export const allergenCodes = [
  'gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soybeans', 'milk',
  'nuts', 'celery', 'mustard', 'sesame', 'sulphites', 'lupin', 'molluscs',
] as const;

const guestEs = {
  'lang.name': 'Español',
  'lang.switch': 'English',
  'lang.switchLabel': 'Read this page in English',
  'skip': 'Saltar al contenido',
  'menu.title': 'Carta',
  'nav.table': 'Tu mesa',
  'menu.table': 'Mesa {n}',
  'menu.categories': 'Categorías',
  'menu.filter': 'Ocultar platos que contienen…',
  'menu.filterHelp': 'Marca los alérgenos que quieres evitar.',
  'menu.hidden': '{n} platos ocultos por el filtro de alérgenos',
  'menu.allergens': 'Alérgenos',
  'menu.noAllergens': 'Sin alérgenos declarados',
  'menu.add': 'Añadir',
  'menu.addLabel': 'Añadir {name} al pedido',
  'menu.soldOut': 'Agotado',
  'menu.unavailable': 'No disponible',
  'menu.low': 'Quedan pocas',
  'menu.inCart': '{n} en el pedido',
  'allergen.gluten': 'Gluten', 'allergen.crustaceans': 'Crustáceos', 'allergen.eggs': 'Huevos', 'allergen.fish': 'Pescado',
  'allergen.peanuts': 'Cacahuetes', 'allergen.soybeans': 'Soja', 'allergen.milk': 'Leche', 'allergen.nuts': 'Frutos de cáscara',
  'allergen.celery': 'Apio', 'allergen.mustard': 'Mostaza', 'allergen.sesame': 'Sésamo', 'allergen.sulphites': 'Sulfitos',
  'allergen.lupin': 'Altramuces', 'allergen.molluscs': 'Moluscos',
  'cart.title': 'Tu pedido',
  'cart.open': 'Ver pedido',
  'cart.close': 'Cerrar',
  'cart.empty': 'Aún no has añadido nada.',
  'cart.items': '{n} platos',
  'cart.total': 'Total',
  'cart.note': 'Nota para {name}',
  'cart.notePlaceholder': 'p. ej. sin cebolla',
  'cart.more': 'Uno más de {name}',
  'cart.less': 'Uno menos de {name}',
  'cart.remove': 'Quitar {name}',
  'cart.quantity': 'Cantidad de {name}',
  'cart.send': 'Enviar pedido',
  'cart.sending': 'Enviando…',
  'cart.retry': 'Reintentar el envío',
  'cart.unsure': 'No sabemos si el pedido llegó (sin conexión). Reintenta: no se pedirá dos veces.',
  'cart.locked': 'El pedido se está enviando; espera la respuesta para cambiarlo.',
  'cart.sent': 'Pedido {number} recibido',
  'cart.outOfStock': '{name}: solo quedan {n}.',
  'cart.unavailableItem': '{name} ya no está disponible.',
  'cart.adjusted': 'Hemos ajustado tu pedido; revísalo y envíalo de nuevo.',
  'cart.failed': 'No se pudo enviar: {detail}',
  'cart.waitApproval': 'Podrás enviar el pedido cuando te dejen entrar en la mesa.',
  'orders.title': 'Pedidos de la mesa',
  'orders.none': 'La mesa aún no ha pedido nada.',
  'orders.phone': 'Teléfono {n}',
  'orders.you': 'tú',
  'orders.staff': 'personal',
  'orders.number': 'Pedido {number}',
  'status.PENDING': 'Pendiente', 'status.CONFIRMED': 'Confirmado', 'status.IN_PROGRESS': 'En preparación',
  'status.READY': 'Listo', 'status.SERVED': 'Servido', 'status.CANCELLED': 'Cancelado',
  'status.changed': '{name}: {status}',
  'join.waiting': 'Esperando a que te dejen entrar',
  'join.waitingHelp': 'Alguien que ya está en la mesa debe dejarte entrar desde su teléfono, o pídeselo al personal. Mientras, puedes ver la carta.',
  'join.youAre': 'Eres el teléfono {n}.',
  'join.prompt': 'El teléfono {n} quiere unirse a tu mesa. ¿Está en tu mesa?',
  'join.allow': 'Dejar entrar al teléfono {n}',
  'join.deny': 'Rechazar al teléfono {n}',
  'join.denied': 'No te han dejado entrar en esta mesa. Si estás en ella, pide ayuda al personal.',
  'closed.title': 'La sesión de esta mesa se cerró',
  'closed.text': 'El personal cerró la mesa o la sesión caducó. Escanea de nuevo para empezar una nueva.',
  'closed.again': 'Empezar una nueva sesión',
  'help.title': 'Ayuda en la mesa',
  'help.waiter': 'Llamar al camarero',
  'help.bill': 'Pedir la cuenta',
  'help.sent.waiter': 'Hemos avisado al camarero.',
  'help.sent.bill': 'Hemos pedido la cuenta.',
  'help.done.waiter': 'El camarero ya atendió el aviso.',
  'help.done.bill': 'La cuenta está en camino.',
  'live.on': 'En directo',
  'live.off': 'Reconectando…',
  'error.network': 'Sin conexión. Lo reintentaremos.',
  'error.generic': 'Algo salió mal; vuelve a intentarlo.',
  'page.invalid.title': 'Este código QR no es válido',
  'page.invalid.text': 'No reconocemos este código. Comprueba que has escaneado el código de tu mesa, o pide ayuda al personal.',
  'page.rotated.title': 'Este código QR ya no se usa',
  'page.rotated.text': 'El restaurante cambió el código de esta mesa. Pide al personal el código nuevo.',
  'page.restaurantClosed.title': '{name} está cerrado hoy',
  'page.restaurantClosed.text': 'Hoy no se sirven pedidos desde la mesa. ¡Te esperamos otro día!',
  'page.notFound.title': 'Página no encontrada',
  'page.notFound.text': 'La dirección no existe.',
  'page.noscript': 'Para pedir hace falta JavaScript. Puedes ver la carta y pedir al personal.',
  'book.title': 'Reservar en {name}',
  'book.date': 'Fecha',
  'book.party': 'Personas',
  'book.times': 'Horas libres',
  'book.noTimes': 'No quedan horas libres ese día para ese grupo. Prueba otro día.',
  'book.loadingTimes': 'Buscando horas libres…',
  'book.pickTime': 'Elige una hora',
  'book.details': 'Tus datos',
  'book.name': 'Nombre',
  'book.email': 'Correo electrónico',
  'book.phone': 'Teléfono (opcional)',
  'book.notes': 'Peticiones especiales (opcional)',
  'book.privacy': 'Acepto que el restaurante guarde mis datos para gestionar la reserva.',
  'book.marketing': 'Quiero recibir novedades y ofertas (opcional).',
  'book.submit': 'Reservar',
  'book.submitting': 'Reservando…',
  'book.done': '¡Reserva hecha! Te hemos enviado un correo a {email}: confírmala desde el enlace.',
  'book.taken': 'Esa hora acaba de ocuparse. Horas cercanas libres:',
  'book.failed': 'No se pudo reservar: {detail}',
  'book.required': 'Rellena los campos obligatorios y acepta la política de datos.',
  'res.title': 'Tu reserva en {name}',
  'res.when': 'Cuándo',
  'res.party': 'Personas',
  'res.name': 'A nombre de',
  'res.status': 'Estado',
  'res.status.PENDING': 'Pendiente de confirmar', 'res.status.CONFIRMED': 'Confirmada', 'res.status.CANCELLED': 'Cancelada',
  'res.status.SEATED': 'En la mesa', 'res.status.COMPLETED': 'Completada', 'res.status.NO_SHOW': 'No presentada',
  'res.confirm': 'Confirmar la reserva',
  'res.cancel': 'Cancelar la reserva',
  'res.confirmed': 'Reserva confirmada. ¡Hasta pronto!',
  'res.cancelled': 'Reserva cancelada.',
  'res.used.title': 'Este enlace ya se usó',
  'res.used.text': 'Ya confirmaste o cancelaste con este enlace. Si necesitas otro cambio, llama al restaurante.',
  'res.expired.title': 'Este enlace ha caducado',
  'res.expired.text': 'Los enlaces de reserva caducan. Llama al restaurante si necesitas cambiar tu reserva.',
  'res.invalid.title': 'Este enlace no es válido',
  'res.invalid.text': 'Comprueba que has copiado el enlace completo del correo.',
  'res.cancelledState': 'Esta reserva está cancelada.',
} as const;

// The staff's pages keep their strings in one module per area (src/web/messages/).
const areas = [staffMessages, kitchenMessages, kitchenSettingsMessages, floorMessages, menuAdminMessages, resAdminMessages, opsMessages, staffAdminMessages] as const;
type AreaKey = (typeof areas)[number] extends infer A ? (A extends Messages<infer K> ? K : never) : never;

export type MessageKey = keyof typeof guestEs | AreaKey;

const guestEn: Record<keyof typeof guestEs, string> = {
  'lang.name': 'English',
  'lang.switch': 'Español',
  'lang.switchLabel': 'Ver esta página en español',
  'skip': 'Skip to content',
  'menu.title': 'Menu',
  'nav.table': 'Your table',
  'menu.table': 'Table {n}',
  'menu.categories': 'Categories',
  'menu.filter': 'Hide dishes containing…',
  'menu.filterHelp': 'Tick the allergens you want to avoid.',
  'menu.hidden': '{n} dishes hidden by the allergen filter',
  'menu.allergens': 'Allergens',
  'menu.noAllergens': 'No declared allergens',
  'menu.add': 'Add',
  'menu.addLabel': 'Add {name} to the order',
  'menu.soldOut': 'Sold out',
  'menu.unavailable': 'Not available',
  'menu.low': 'Only a few left',
  'menu.inCart': '{n} in the order',
  'allergen.gluten': 'Gluten', 'allergen.crustaceans': 'Crustaceans', 'allergen.eggs': 'Eggs', 'allergen.fish': 'Fish',
  'allergen.peanuts': 'Peanuts', 'allergen.soybeans': 'Soybeans', 'allergen.milk': 'Milk', 'allergen.nuts': 'Tree nuts',
  'allergen.celery': 'Celery', 'allergen.mustard': 'Mustard', 'allergen.sesame': 'Sesame', 'allergen.sulphites': 'Sulphites',
  'allergen.lupin': 'Lupin', 'allergen.molluscs': 'Molluscs',
  'cart.title': 'Your order',
  'cart.open': 'View order',
  'cart.close': 'Close',
  'cart.empty': 'Nothing added yet.',
  'cart.items': '{n} items',
  'cart.total': 'Total',
  'cart.note': 'Note for {name}',
  'cart.notePlaceholder': 'e.g. no onion',
  'cart.more': 'One more {name}',
  'cart.less': 'One less {name}',
  'cart.remove': 'Remove {name}',
  'cart.quantity': 'Quantity of {name}',
  'cart.send': 'Send order',
  'cart.sending': 'Sending…',
  'cart.retry': 'Retry sending',
  'cart.unsure': 'We do not know whether the order arrived (no connection). Retry: it will not be ordered twice.',
  'cart.locked': 'The order is being sent; wait for the answer to change it.',
  'cart.sent': 'Order {number} received',
  'cart.outOfStock': '{name}: only {n} left.',
  'cart.unavailableItem': '{name} is no longer available.',
  'cart.adjusted': 'We adjusted your order; check it and send it again.',
  'cart.failed': 'Could not send: {detail}',
  'cart.waitApproval': 'You can send the order once you are let in to the table.',
  'orders.title': "The table's orders",
  'orders.none': 'The table has not ordered anything yet.',
  'orders.phone': 'Phone {n}',
  'orders.you': 'you',
  'orders.staff': 'staff',
  'orders.number': 'Order {number}',
  'status.PENDING': 'Pending', 'status.CONFIRMED': 'Confirmed', 'status.IN_PROGRESS': 'In progress',
  'status.READY': 'Ready', 'status.SERVED': 'Served', 'status.CANCELLED': 'Cancelled',
  'status.changed': '{name}: {status}',
  'join.waiting': 'Waiting to be let in',
  'join.waitingHelp': 'Someone already at the table must let you in from their phone, or ask the staff. Meanwhile you can browse the menu.',
  'join.youAre': 'You are phone {n}.',
  'join.prompt': 'Phone {n} wants to join your table. Is it at your table?',
  'join.allow': 'Let phone {n} in',
  'join.deny': 'Turn phone {n} away',
  'join.denied': 'You were not let in to this table. If you are at it, ask the staff for help.',
  'closed.title': "This table's session was closed",
  'closed.text': 'The staff closed the table or the session expired. Scan again to start a new one.',
  'closed.again': 'Start a new session',
  'help.title': 'Help at the table',
  'help.waiter': 'Call a waiter',
  'help.bill': 'Ask for the bill',
  'help.sent.waiter': 'The waiter has been called.',
  'help.sent.bill': 'The bill has been asked for.',
  'help.done.waiter': 'The waiter has seen to it.',
  'help.done.bill': 'The bill is on its way.',
  'live.on': 'Live',
  'live.off': 'Reconnecting…',
  'error.network': 'No connection. We will retry.',
  'error.generic': 'Something went wrong; please try again.',
  'page.invalid.title': 'This QR code is not valid',
  'page.invalid.text': 'We do not recognise this code. Check that you scanned the code on your table, or ask the staff for help.',
  'page.rotated.title': 'This QR code is no longer in use',
  'page.rotated.text': "The restaurant changed this table's code. Ask the staff for the new one.",
  'page.restaurantClosed.title': '{name} is closed today',
  'page.restaurantClosed.text': 'No orders from the table today. We hope to see you another day!',
  'page.notFound.title': 'Page not found',
  'page.notFound.text': 'This address does not exist.',
  'page.noscript': 'Ordering needs JavaScript. You can read the menu and order from the staff.',
  'book.title': 'Book at {name}',
  'book.date': 'Date',
  'book.party': 'Guests',
  'book.times': 'Free times',
  'book.noTimes': 'No free times left that day for that party. Try another day.',
  'book.loadingTimes': 'Looking for free times…',
  'book.pickTime': 'Pick a time',
  'book.details': 'Your details',
  'book.name': 'Name',
  'book.email': 'E-mail',
  'book.phone': 'Phone (optional)',
  'book.notes': 'Special requests (optional)',
  'book.privacy': 'I agree that the restaurant keeps my data to handle the booking.',
  'book.marketing': 'Send me news and offers (optional).',
  'book.submit': 'Book',
  'book.submitting': 'Booking…',
  'book.done': 'Booked! We sent an e-mail to {email}: confirm the booking from its link.',
  'book.taken': 'That time was just taken. Free times nearby:',
  'book.failed': 'Could not book: {detail}',
  'book.required': 'Fill in the required fields and accept the data policy.',
  'res.title': 'Your booking at {name}',
  'res.when': 'When',
  'res.party': 'Guests',
  'res.name': 'Name',
  'res.status': 'Status',
  'res.status.PENDING': 'Waiting for your confirmation', 'res.status.CONFIRMED': 'Confirmed', 'res.status.CANCELLED': 'Cancelled',
  'res.status.SEATED': 'Seated', 'res.status.COMPLETED': 'Completed', 'res.status.NO_SHOW': 'No-show',
  'res.confirm': 'Confirm the booking',
  'res.cancel': 'Cancel the booking',
  'res.confirmed': 'Booking confirmed. See you soon!',
  'res.cancelled': 'Booking cancelled.',
  'res.used.title': 'This link was already used',
  'res.used.text': 'You already confirmed or cancelled with this link. For any other change, call the restaurant.',
  'res.expired.title': 'This link has expired',
  'res.expired.text': 'Booking links expire. Call the restaurant if you need to change your booking.',
  'res.invalid.title': 'This link is not valid',
  'res.invalid.text': 'Check that you copied the whole link from the e-mail.',
  'res.cancelledState': 'This booking is cancelled.',
};

const merge = (guest: Record<string, string>, lang: Lang) =>
  Object.assign({}, guest, ...areas.map((area) => area[lang])) as Record<MessageKey, string>;
const dictionaries: Record<Lang, Record<MessageKey, string>> = { es: merge(guestEs, 'es'), en: merge(guestEn, 'en') };

export const isLang = (value: unknown): value is Lang => value === 'es' || value === 'en';

/** `{name}` placeholders filled from params (plain text: the caller escapes where it renders). */
export function t(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  return dictionaries[lang][key].replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** The first of Accept-Language's languages we speak, by q-value; undefined when none. */
export function fromAcceptLanguage(header: string | undefined): Lang | undefined {
  if (!header) return undefined;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { lang: tag.trim().toLowerCase().split('-')[0], q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.map((r) => r.lang).find(isLang);
}

/** The strings a page's script needs, by key. */
export function stringsFor(lang: Lang, prefixes: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(dictionaries[lang])) {
    if (prefixes.some((p) => key.startsWith(p))) out[key] = value;
  }
  return out;
}

/** Locale for numbers and dates of a restaurant whose language is `lang`. */
export const localeOf = (lang: string): string => (lang === 'en' ? 'en-GB' : 'es-ES');
