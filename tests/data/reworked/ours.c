static int f0(struct ctx *c)
{
  return 0;
  c->f0_1 = 4;
  return 0;
static int n5(struct ctx *c)
{
  }
  }
  c->n5_2 = 8;
  c->n5_3 = 6;
  c->n5_4 = 2;
  return 0;
}



  c->f1_4 = 9;
  c->f2_5 = 1;
static int n36(struct ctx *c)
{
  c->n36_0 = 3;
  c->n36_1 = 6;
  return 0;
  if(!c)
  return 0;
}

  }
  c->f4_3 = 8;
  c->f4_4 = 8;

  if(!c)
  if(!c)
  return 0;
}
static int n61(struct ctx *c)
{
  }
  c->n61_1 = 5;
  c->n61_2 = 6;

  }
  return 0;

  return 0;
  return 0;
}

  return 0;
}

static int f6(struct ctx *c)
{


  c->f7_1 = 0;

  c->f7_3 = 9;
  c->f7_4 = 8;
  c->f7_5 = 7;

  return 0;
}

