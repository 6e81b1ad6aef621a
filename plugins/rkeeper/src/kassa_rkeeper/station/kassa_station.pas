{ Kassa station script for r_keeper 7 (Pascal Script in the cash-station form events).

  Posts the facts the cash server never exposes to the Kassa notify listener:
    unsaved_dish_deleted, order_quit_unsaved, employee_login, employee_logout, service_print.
  Payload (defined by Kassa, see docs/plugins/rkeeper.md):
    <StationEvent RestCode kind guid DateTime seq>
      <Station id code name NetName/> <Employee id code name/>
      <Order visit orderIdent guid table category/>?
      <Dish id code name uni line_guid quantity price amount/>*
      <Print printer category>ticket text</Print>?      (service_print only)
    </StationEvent>
  quantity is in thousandths, price/amount in kopecks, DateTime is station local time.

  Install: Manager station -> Service -> Scripts; attach the procedures below to the form
  events named in each comment; set KASSA_URL and REST_CODE. Verify the HTTP object name
  (WinHttp.WinHttpRequest.5.1) is allowed by your r_keeper build. }

const
  KASSA_URL = 'http://192.168.0.10:8086/rkeeper/notify';
  REST_CODE = '199990001';

var
  KassaSeq: integer;

function XmlEsc(const S: string): string;
begin
  Result := StringReplace(S, '&', '&amp;', [rfReplaceAll]);
  Result := StringReplace(Result, '<', '&lt;', [rfReplaceAll]);
  Result := StringReplace(Result, '>', '&gt;', [rfReplaceAll]);
  Result := StringReplace(Result, '"', '&quot;', [rfReplaceAll]);
end;

function RefXml(const Tag: string; Ident: integer; const Code, Name: string): string;
begin
  Result := '<' + Tag + ' id="' + IntToStr(Ident) + '" code="' + XmlEsc(Code) +
            '" name="' + XmlEsc(Name) + '"/>';
end;

function NewGuid: string;
begin
  Result := GUIDToString(CreateGUID);  { braces, upper case, as r_keeper writes GUIDs }
end;

procedure KassaPost(const Kind, Body: string);
var
  Http: Variant;
  Xml: string;
begin
  KassaSeq := KassaSeq + 1;
  Xml := '<?xml version="1.0" encoding="utf-8"?>' +
         '<StationEvent RestCode="' + REST_CODE + '" kind="' + Kind + '" guid="' + NewGuid +
         '" DateTime="' + FormatDateTime('yyyy-mm-dd"T"hh:nn:ss', Now) +
         '" seq="' + IntToStr(KassaSeq) + '">' +
         RefXml('Station', RK7.CashStation.Ident, RK7.CashStation.Code, RK7.CashStation.Name) +
         RefXml('Employee', RK7.CashUser.Ident, RK7.CashUser.Code, RK7.CashUser.Name) +
         Body + '</StationEvent>';
  try
    Http := CreateOleObject('WinHttp.WinHttpRequest.5.1');
    Http.Open('POST', KASSA_URL, False);
    Http.SetTimeouts(2000, 2000, 2000, 2000);  { never hold the till longer than 2 s }
    Http.SetRequestHeader('Content-Type', 'application/xml; charset=utf-8');
    Http.Send(UTF8Encode(Xml));
  except
    { Kassa unreachable: the till must keep working; XML polling still sees saved facts. }
  end;
end;

function OrderXml(Order: TRK7Order): string;
begin
  Result := '<Order visit="' + IntToStr(Order.Visit) + '" orderIdent="' +
            IntToStr(Order.Ident) + '" guid="' + Order.GUIDString + '" table="' +
            XmlEsc(Order.Table.Code) + '" category="' + XmlEsc(Order.OrderCategory.Name) + '"/>';
end;

function DishXml(Dish: TDish): string;
begin
  Result := '<Dish id="' + IntToStr(Dish.Sifr) + '" code="' + XmlEsc(Dish.Code) +
            '" name="' + XmlEsc(Dish.Name) + '" uni="' + IntToStr(Dish.UNI) +
            '" quantity="' + IntToStr(Round(Dish.Quantity * 1000)) +
            '" price="' + IntToStr(Round(Dish.Price * 100)) +
            '" amount="' + IntToStr(Round(Dish.PRListSum * 100)) + '"/>';
end;

{ Form event CheckView.OnAfterCheckViewEdit: a deleted line that was never printed. }
procedure CheckViewOnAfterCheckViewEdit(Sender: TObject; AEditType: TEditType;
  AObjectBef, AObjectAft: TObject);
begin
  if (AEditType = etRemove) and (AObjectBef is TDish) and
     TDish(AObjectBef).IsUnprintedDish then
    KassaPost('unsaved_dish_deleted', OrderXml(RK7.CashOrder) + DishXml(TDish(AObjectBef)));
end;

{ Form event OnOperation: leaving an order with unsaved lines, login and logout. }
procedure KassaOnOperation(Operation: integer; var AllowContinue: boolean);
var
  I: integer;
  Body: string;
begin
  if Operation = rkoQuitOrder then
  begin
    Body := '';
    for I := 0 to RK7.CashOrder.SessionLines.Count - 1 do
      if RK7.CashOrder.SessionLines.Items[I] is TDish then
        if not TDish(RK7.CashOrder.SessionLines.Items[I]).Saved then
          Body := Body + DishXml(TDish(RK7.CashOrder.SessionLines.Items[I]));
    if Body <> '' then
      KassaPost('order_quit_unsaved', OrderXml(RK7.CashOrder) + Body);
  end
  else if Operation = rkoUserLogin then
    KassaPost('employee_login', '')
  else if Operation = rkoUserLogout then
    KassaPost('employee_logout', '');
end;

{ Layout designer, service print (kitchen/bar ticket) "after print" handler. }
procedure KassaOnServicePrint(const PrinterName, TicketText: string);
begin
  KassaPost('service_print', OrderXml(RK7.CashOrder) + '<Print printer="' +
            XmlEsc(PrinterName) + '" category="' + XmlEsc(RK7.CashOrder.OrderCategory.Name) +
            '">' + XmlEsc(TicketText) + '</Print>');
end;
