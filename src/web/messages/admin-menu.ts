// The strings of /admin/menu.
import { messages } from './define.js';

export const menuAdminMessages = messages(
  {
    'menuAdmin.title': 'Carta',
  },
  {
    'menuAdmin.title': 'Menu',
  },
);
