// The strings of /kitchen.
import { messages } from './define.js';

export const kitchenMessages = messages(
  {
    'kitchen.title': 'Cocina',
  },
  {
    'kitchen.title': 'Kitchen',
  },
);
