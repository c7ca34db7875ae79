// The strings of /ops.
import { messages } from './define.js';

export const opsMessages = messages(
  {
    'ops.title': 'Operaciones',
  },
  {
    'ops.title': 'Operations',
  },
);
