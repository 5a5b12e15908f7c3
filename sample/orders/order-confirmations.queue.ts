/** The BullMQ queue of the sample: the orders service adds a `confirm` job per order placed. */
export const ORDER_CONFIRMATIONS_QUEUE = 'order-confirmations';

/** Injection token of that queue, provided only when the sample has Redis (see OrderConfirmationsModule). */
export const ORDER_CONFIRMATIONS = Symbol('ORDER_CONFIRMATIONS');

/** The data of a `confirm` job. */
export interface ConfirmOrderJob {
  orderId: string;
  item: string;
  quantity: number;
}
