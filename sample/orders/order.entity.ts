/** An order of the sample service. */
export interface Order {
  id: string;
  item: string;
  quantity: number;
  createdAt: string;
}
