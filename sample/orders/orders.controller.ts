import { Body, Controller, Get, HttpCode, InternalServerErrorException, Param, Post } from '@nestjs/common';
import { Counted } from '../../lib';
import { Order } from './order.entity';
import { OrdersService, OutOfStockError } from './orders.service';

/** The sample's HTTP API. */
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: { item?: string; quantity?: number }): Promise<Order> {
    return this.orders.create(body?.item ?? 'widget', Number(body?.quantity ?? 1));
  }

  @Get('fail')
  @Counted({ name: 'orders_failures_provoked', help: 'Calls of the endpoint that fails on purpose.' })
  async fail(): Promise<never> {
    try {
      await this.orders.create('unobtainium', 1);
    } catch (error) {
      if (error instanceof OutOfStockError) throw new InternalServerErrorException(error.message);
      throw error;
    }
    throw new InternalServerErrorException('unreachable');
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<Order> {
    return this.orders.get(id);
  }
}
