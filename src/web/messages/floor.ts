// The strings of /floor.
import { messages } from './define.js';

export const floorMessages = messages(
  {
    'floor.title': 'Sala',
  },
  {
    'floor.title': 'Floor',
  },
);
