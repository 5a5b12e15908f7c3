/** An order of the sample service. */
export interface Order {
  id: string;
  item: string;
  quantity: number;
  /** Unit price quoted by the pricing service, in cents. */
  unitPriceCents: number;
  currency: string;
  createdAt: string;
  /** `placed` until the order-confirmations processor confirmed it (it stays `placed` when the sample has no Redis). */
  status: 'placed' | 'confirmed';
  confirmedAt?: string;
}
