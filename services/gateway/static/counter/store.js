/** What the counter keeps in this browser, per register: the cart in progress (it survives a reload), the
 *  parked sales and the register's settings (receipt paper width). */
import { emptyCart } from "./cart.js";

const PREFIX = "sentra.counter.";

function read(key, fallback) {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    return raw ? JSON.parse(raw) : fallback;
  } catch (err) {
    return fallback;
  }
}

function write(key, value) {
  localStorage.setItem(PREFIX + key, JSON.stringify(value));
}

export const store = {
  register: () => localStorage.getItem("sentra.register") || "",
  setRegister: id => localStorage.setItem("sentra.register", id),

  cart: registerId => read(`${registerId}.cart`, emptyCart()),
  saveCart: (registerId, cart) => write(`${registerId}.cart`, cart),

  /** Parked sales, oldest first: ``[{id, parked_at, cart}]``. */
  parked: registerId => read(`${registerId}.parked`, []),
  saveParked: (registerId, list) => write(`${registerId}.parked`, list),

  settings: registerId => ({ paper: 58, ...read(`${registerId}.settings`, {}) }),
  saveSettings: (registerId, settings) => write(`${registerId}.settings`, settings),
};
