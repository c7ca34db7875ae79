// The strings of /admin/reservations.
import { messages } from './define.js';

export const resAdminMessages = messages(
  {
    'resAdmin.title': 'Reservas',
  },
  {
    'resAdmin.title': 'Bookings',
  },
);
