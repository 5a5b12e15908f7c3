import { Body, Controller, Get, HttpCode, InternalServerErrorException, Param, Post, Query } from '@nestjs/common';
import { Counted } from '../../lib';
import { Order } from './order.entity';
import { OrdersRepository } from './orders.repository';
import { OrdersService, OutOfStockError } from './orders.service';

/** The sample's HTTP API. */
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly repository: OrdersRepository,
  ) {}

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

  /** A request that takes a while, to watch a graceful shutdown finish it. */
  @Get('slow')
  async slow(@Query('ms') ms = '1000'): Promise<{ waitedMs: number }> {
    const waitedMs = Math.min(Number(ms) || 0, 30_000);
    await new Promise((resolve) => setTimeout(resolve, waitedMs));
    return { waitedMs };
  }

  /** Marks the order store unavailable (`down`) or available (`up`): readiness follows. */
  @Post('store/:state')
  @HttpCode(200)
  setStore(@Param('state') state: string): { available: boolean } {
    this.repository.available = state !== 'down';
    return { available: this.repository.available };
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<Order> {
    return this.orders.get(id);
  }
}
